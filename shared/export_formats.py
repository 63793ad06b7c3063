"""Which output format may carry which compression, and the file extension they give: one
rule for the API and the runner."""

from shared.models import Compression, OutputFormat

EXTENSIONS = {
    OutputFormat.CSV: "csv",
    OutputFormat.JSON: "json",
    OutputFormat.JSONL: "jsonl",
    OutputFormat.XLSX: "xlsx",
}

# XLSX is a zip archive already; compressing it again would only rename it.
UNCOMPRESSED_FORMATS = frozenset({OutputFormat.XLSX})


def compression_problem(output_format: OutputFormat, compression: Compression) -> str | None:
    """Why a file of this format cannot have this compression (naming both), or None."""
    if compression != Compression.NONE and output_format in UNCOMPRESSED_FORMATS:
        return (
            f"{output_format} with {compression} compression cannot be written: "
            f"{output_format} files are compressed already; use compression none"
        )
    return None


def file_extension(output_format: OutputFormat, compression: Compression) -> str:
    extension = EXTENSIONS[output_format]
    return f"{extension}.gz" if compression == Compression.GZIP else extension
