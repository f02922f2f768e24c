"""Request body parsers of the API: DRF's, with their errors in French and none unhandled.

DRF repeats Python's English message (« JSON parse error - Expecting value… ») and lets a
deeply nested document's RecursionError through (a 500): here each is a 400 saying what to fix.
"""

from __future__ import annotations

import codecs
from json import JSONDecodeError
from typing import IO, Any, cast

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.utils import json


class PortalJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            # Text encodings only: Django accepts any codec name in `charset=`, bytes-to-bytes
            # ones (zlib, base64, hex…) included, which are no way to write JSON.
            if not getattr(codecs.lookup(encoding), "_is_text_encoding", True):
                raise LookupError(encoding)
        except LookupError:
            raise ParseError(
                f"Encodage « {encoding[:40]} » non pris en charge : envoyez du JSON en UTF-8."
            ) from None
        try:
            decoded = cast(IO[str], codecs.getreader(encoding)(stream))
            return json.load(decoded, parse_constant=json.strict_constant if self.strict else None)
        except UnicodeError:  # decoding (UnicodeDecodeError), or a codec's own (punycode)
            raise ParseError(
                f"Le corps de la requête n'est pas du texte {encoding.upper()} valide."
            ) from None
        except JSONDecodeError as exc:
            raise ParseError(
                f"JSON mal formé (ligne {exc.lineno}, colonne {exc.colno}) : vérifiez les "
                "guillemets, les virgules et les accolades."
            ) from None
        except RecursionError:
            raise ParseError("JSON imbriqué trop profondément : simplifiez le document.") from None
        except ValueError as exc:
            if "Out of range float values" in str(exc):  # strict_constant: NaN, Infinity
                raise ParseError(
                    "JSON non conforme : NaN et Infinity ne sont pas des nombres JSON."
                ) from None
            raise ParseError("Corps de requête illisible : envoyez du JSON en UTF-8.") from None


class PortalMultiPartParser(MultiPartParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError:
            raise ParseError(
                "Formulaire multipart illisible : vérifiez l'en-tête Content-Type et sa limite "
                "(boundary)."
            ) from None
