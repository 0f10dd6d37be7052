"""The channels product: the parser's jobs (parser.py) and the enrichment stages (stages.py)."""

from __future__ import annotations

from tgassist.channels import parser, retention, stages
from tgassist.core.product import Product

PRODUCT = Product(
    name="channels",
    stages=stages.STAGES,
    jobs=parser.JOBS + stages.JOBS + retention.JOBS,
    health=parser.HEALTH + stages.HEALTH,
)
