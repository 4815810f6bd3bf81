"""Batch generation: many canvases (files, folders, XLSX/CSV tables) to the store and a folder.

See `pipelines.batch.inputs` for the table columns and `pipelines.batch.runner` for resume.
"""

from pipelines.batch.inputs import BatchInput, collect, table_canvases
from pipelines.batch.runner import (
    BATCH_USER,
    BatchSummary,
    Job,
    Outcome,
    generate_one,
    output_folder,
    run_batch,
)

__all__ = [
    "BATCH_USER",
    "BatchInput",
    "BatchSummary",
    "Job",
    "Outcome",
    "collect",
    "generate_one",
    "output_folder",
    "run_batch",
    "table_canvases",
]
