"""Where CodePipeline writes each output artifact in the artifact store (pure).

AWS's layout (``ArtifactStore`` in the CodePipeline API Reference,
https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_ArtifactStore.html, and the
user guide's "Input and output artifacts", concepts-how-it-works): the store is an S3 bucket and
each output artifact is one ZIP object at ``<pipeline name>/<artifact name>/<random id>``, where
the pipeline and artifact names are cut to their first 20 characters (AWS's answer on re:Post,
"CodePipeline artifact names truncated") and the id is 7 letters and digits.
"""

from __future__ import annotations

import random
import string

NAME_CUT = 20
ID_LENGTH = 7
_ID_ALPHABET = string.ascii_letters + string.digits


def key(pipeline_name: str, artifact_name: str, object_id: str) -> str:
    """The S3 key of one output artifact of one action execution."""
    return f"{pipeline_name[:NAME_CUT]}/{artifact_name[:NAME_CUT]}/{object_id}"


def object_id(rng: random.Random) -> str:
    """A fresh 7-character id, as AWS's keys end with."""
    return "".join(rng.choice(_ID_ALPHABET) for _ in range(ID_LENGTH))


def store_bucket(declaration: dict, region: str) -> str | None:
    """The artifact store bucket an action in ``region`` writes to.

    A pipeline has either one ``artifactStore`` or ``artifactStores`` keyed by region (for
    cross-region actions; PipelineDeclaration). Our actions all run in the pipeline's region.
    """
    stores = declaration.get("artifactStores") or {}
    store = stores.get(region) if stores else declaration.get("artifactStore")
    return (store or {}).get("location")


def location(declaration: dict, region: str, artifact_name: str, object_id_: str) -> dict:
    """An ``ArtifactDetail`` (name and ``s3location``) for a new output artifact."""
    return {
        "name": artifact_name,
        "s3location": {
            "bucket": store_bucket(declaration, region) or "",
            "key": key(declaration["name"], artifact_name, object_id_),
        },
    }
