from dagster import DynamicPartitionsDefinition

# One partition per crawl dump, registered by the landing-zone sensor.
code_dumps = DynamicPartitionsDefinition(name="code_dumps")

# One partition per web dump (WARC files), registered by the web landing-zone sensor.
web_dumps = DynamicPartitionsDefinition(name="web_dumps")
