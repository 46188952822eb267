"""Running codelake past one machine: the `cluster` deployment's settings, Slurm job scripts, Kubernetes
manifests, object-storage options and the `codelake doctor` checks. Plain Python, no Dagster import."""
