from dagster import DynamicPartitionsDefinition

# One partition per crawl dump, registered by the landing-zone sensor.
code_dumps = DynamicPartitionsDefinition(name="code_dumps")
