"""Reads of the network, already scoped and joined."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from administrators.models import DataAdministrator, Ministry


@dataclass(frozen=True)
class NetworkCoverage:
    with_titular: int
    in_scope: int

    @property
    def pct(self) -> int:
        return round(100 * self.with_titular / self.in_scope) if self.in_scope else 0


def network_coverage() -> NetworkCoverage:
    """N1: ministries in scope with a current titular administrator ÷ ministries in scope."""
    titular = DataAdministrator.objects.current().filter(
        ministry_id=OuterRef("pk"), role=DataAdministrator.Role.AMD_TITULAIRE
    )
    qs = Ministry.objects.current().filter(in_ogp_scope=True).annotate(has_titular=Exists(titular))
    in_scope = qs.count()
    with_titular = qs.filter(has_titular=True).count()
    return NetworkCoverage(with_titular=with_titular, in_scope=in_scope)
