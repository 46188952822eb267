"""Language identification by file name (GitHub linguist's list, as data in rules/languages.yaml)."""

from codelake.languages.table import Language, LanguageTable, LanguageTableError

__all__ = ["Language", "LanguageTable", "LanguageTableError"]
