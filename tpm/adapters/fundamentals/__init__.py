"""Company fundamentals from outside: CSV files and SEC EDGAR company facts."""

from tpm.adapters.fundamentals.csv_import import FundamentalsFile, read_fundamentals_csv
from tpm.adapters.fundamentals.csv_sectors import read_sectors_csv
from tpm.adapters.fundamentals.edgar import EdgarFundamentals, EdgarUnavailable

__all__ = [
    "EdgarFundamentals",
    "EdgarUnavailable",
    "FundamentalsFile",
    "read_fundamentals_csv",
    "read_sectors_csv",
]
