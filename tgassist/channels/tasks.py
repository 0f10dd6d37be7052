"""The channels product: the parser's jobs (parser.py) and the enrichment stages (stages.py)."""

from __future__ import annotations

from tgassist.channels import parser, read_jobs, stages
from tgassist.core.product import Product

PRODUCT = Product(
    name="channels",
    stages=stages.STAGES,
    jobs=parser.JOBS + stages.JOBS + read_jobs.JOBS,
    health=parser.HEALTH + stages.HEALTH + read_jobs.HEALTH,
)
