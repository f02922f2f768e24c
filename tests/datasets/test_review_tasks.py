"""Review: import tasks take ids only, survive a vanished job, and never keep a dead upload."""

import pytest
from django.core.exceptions import ValidationError

from datasets.models import ImportJob
from datasets.tasks import confirm_import, import_analyse, import_apply
from tests.datasets.test_import import analyse, csv_bytes, row

pytestmark = pytest.mark.django_db


def test_tasks_of_a_deleted_job_do_nothing(amd_user, ministry, organization):
    job = analyse(amd_user, ministry, csv_bytes([row()]))
    ImportJob.objects.filter(pk=job.pk).delete()
    import_analyse(job.pk)
    import_apply(job.pk, amd_user.pk)
    assert not ImportJob.objects.exists()


def test_analyse_of_a_job_deleted_while_claimed_does_not_crash(
    amd_user, ministry, organization, monkeypatch
):
    job = analyse(amd_user, ministry, csv_bytes([row()]))
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.UPLOADED)
    real_update = ImportJob.objects.filter(pk=job.pk).update

    def claim_then_vanish(**kwargs):
        count = real_update(**kwargs)
        ImportJob.objects.filter(pk=job.pk).delete()
        return count

    monkeypatch.setattr(
        "datasets.tasks.ImportJob.objects.filter",
        lambda *a, **k: (
            type("Q", (), {"update": staticmethod(claim_then_vanish)})()
            if k.get("state__in")
            else ImportJob._default_manager.get_queryset().filter(*a, **k)
        ),
    )
    import_analyse(job.pk)
    assert not ImportJob._default_manager.exists()


def test_a_failed_analysis_or_apply_drops_the_uploaded_file(
    amd_user, ministry, organization, monkeypatch
):
    def refuse(job):
        raise ValidationError("Fichier illisible.")

    job = analyse(amd_user, ministry, csv_bytes([row()]))
    other = analyse(amd_user, ministry, csv_bytes([row("Autre")]))
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.UPLOADED)
    monkeypatch.setattr("datasets.tasks.analyse_job", refuse)
    import_analyse(job.pk)
    job.refresh_from_db()
    assert (job.state, bytes(job.payload)) == (ImportJob.State.FAILED, b"")
    assert job.error == "Fichier illisible."

    monkeypatch.setattr("datasets.tasks.apply_job", lambda *a, **k: refuse(None))
    assert confirm_import(other, amd_user)
    import_apply(other.pk, amd_user.pk)
    other.refresh_from_db()
    assert (other.state, bytes(other.payload)) == (ImportJob.State.FAILED, b"")


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


@pytest.mark.parametrize("member", ["xl/worksheets/sheet1.xml", "xl/workbook.xml"])
def test_an_xlsx_with_xml_entities_is_refused_in_french(amd_user, ministry, organization, member):
    import io
    import zipfile

    from datasets import importing
    from datasets.tabular import FileRejected
    from tests.datasets.test_import import xlsx_bytes

    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([row()])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == member:
                body = content.decode()
                body = body.split("?>", 1)[1] if body.startswith("<?xml") else body
                content = (LAUGHS + body.replace(">", ">&lol3;", 1)).encode()
            archive.writestr(info.filename, content)
    with pytest.raises(FileRejected, match="Le classeur Excel \\(XLSX\\) est") as refused:
        importing.import_job_create(
            actor=amd_user, ministry=ministry, filename="lol.xlsx", data=out.getvalue()
        )
    assert not ImportJob.objects.exists()
    # Refused by defusedxml's entity ban (never expanded), not by an accident of the structure.
    causes, exc = [], refused.value
    while exc is not None:
        causes.append(type(exc).__name__)
        exc = exc.__cause__ or exc.__context__
    assert "EntitiesForbidden" in causes


def test_apply_after_the_account_lost_its_rights_fails_in_french(amd_user, ministry, organization):
    from administrators.models import Membership
    from datasets.models import DataAsset

    job = analyse(amd_user, ministry, csv_bytes([row()]))
    assert confirm_import(job, amd_user)
    Membership.objects.filter(user=amd_user).delete()
    import_apply(job.pk, amd_user.pk)  # no exception for the worker to log as a crash
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert "Vous ne pouvez pas importer" in job.error
    assert not DataAsset.objects.exists()
