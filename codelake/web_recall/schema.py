import pyarrow as pa

# One row per web_text page: its score, recall and domain verdict in every round.
CODE_WEB_RECALL_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("dump", pa.string()),
        ("url", pa.string()),
        ("domain", pa.string()),
        ("scores", pa.list_(pa.float64())),  # P(code) per round
        ("recalled", pa.list_(pa.bool_())),  # score >= recall_threshold, per round
        ("code_domain", pa.list_(pa.bool_())),  # its domain was code-related in that round
        ("url_pattern", pa.string()),  # include | exclude | '' (rules/web_recall/url_patterns.yaml)
        ("seed_round", pa.int32()),  # first round the page was a training positive (null: never)
        ("corpus_round", pa.int32()),  # first round it qualified for code_web_corpus (null: never)
        ("in_corpus", pa.bool_()),  # qualifies after the last round
        ("score", pa.float64()),  # the last round's score
        ("size", pa.int64()),  # text bytes
    ]
)

# One row per round: the classifier as trained (model file, tokenizer, parameters, hash) and what it did.
RECALL_ROUNDS_TABLE = "code_web_recall_rounds"
RECALL_ROUNDS_SCHEMA = pa.schema(
    [
        ("round", pa.int32()),
        ("recall_version", pa.int64()),  # the code_web_recall version these rounds belong to
        ("model_sha256", pa.string()),
        ("model", pa.large_binary()),  # the fastText .bin file
        ("tokenizer", pa.large_string()),  # the BPE tokenizer, HF tokenizers JSON
        ("parameters", pa.string()),  # JSON: fastText, tokenizer and round parameters
        ("positives", pa.int64()),  # training positives (web pages + code_corpus documents)
        ("negatives", pa.int64()),
        ("held_out", pa.int64()),
        ("precision", pa.float64()),  # on the held-out labelled split
        ("recall", pa.float64()),
        ("pages_recalled", pa.int64()),
        ("code_domains", pa.list_(pa.string())),
        ("new_domains", pa.list_(pa.string())),
        ("score_histogram", pa.list_(pa.int64())),  # pages per score decile
        ("top_domains", pa.string()),  # JSON: [{domain, pages, recalled, share}]
    ]
)
