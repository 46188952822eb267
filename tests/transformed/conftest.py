import sys
from pathlib import Path

# the helpers next to the tests (pii_samples.py, ds_compare.py) import by name
sys.path.insert(0, str(Path(__file__).resolve().parent))
