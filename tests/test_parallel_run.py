"""A parallel run: two specs for one tenant, and what each one's CHANGE.md and manifest say of the other."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from journalgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
MIMECAST = ROOT / "samples" / "contoso-mimecast.yaml"
CLOUDFLARE = ROOT / "docs" / "migration" / "contoso-cloudflare-parallel.yaml"
OTHER_TENANT = ROOT / "samples" / "tailspin-cloudflare.yaml"

ALSO = "This tenant is also journaled by"
MIMECAST_SAYS = (
    "This tenant is also journaled by `contoso-cloudflare-parallel.yaml` to Cloudflare Email "
    "Security (`contoso-0123456789@journaling.mxrecord.io`): while both are applied, every "
    "journaled message goes to both archives."
)
CLOUDFLARE_SAYS = (
    "This tenant is also journaled by `contoso-mimecast.yaml` to Mimecast "
    "(`journaling@journal.contoso.com`): while both are applied, every journaled message goes "
    "to both archives."
)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir()
    shutil.copy(MIMECAST, folder / MIMECAST.name)
    shutil.copy(CLOUDFLARE, folder / CLOUDFLARE.name)
    shutil.copy(OTHER_TENANT, folder / OTHER_TENANT.name)
    return folder


def change(out: Path, stem: str) -> str:
    return (out / stem / "CHANGE.md").read_text(encoding="utf-8")


def joined(text: str) -> str:
    return " ".join(text.split())


def sentence_line(out: Path, stem: str) -> int:
    lines = change(out, stem).splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.startswith(ALSO))


def built(specs: Path, tmp_path: Path, *more: str) -> Path:
    out = tmp_path / "out"
    result = run("build", str(specs), "-d", str(out), *more)
    assert result.exit_code == 0, result.output
    return out


def test_each_change_md_names_the_other_spec_and_both_archives(specs: Path, tmp_path: Path) -> None:
    out = built(specs, tmp_path)
    assert MIMECAST_SAYS in joined(change(out, "contoso-mimecast"))
    assert CLOUDFLARE_SAYS in joined(change(out, "contoso-cloudflare-parallel"))
    # A tenant with one spec has no parallel run.
    assert ALSO not in change(out, "tailspin-cloudflare")
    recorded = json.loads((out / "contoso-mimecast" / "manifest.json").read_bytes())
    assert recorded["parallel"] == [
        {
            "spec": "contoso-cloudflare-parallel.yaml",
            "vendor": "Cloudflare Email Security",
            "journal_address": "contoso-0123456789@journaling.mxrecord.io",
            "spec_sha256": hashlib.sha256(CLOUDFLARE.read_bytes()).hexdigest(),
        }
    ]
    alone = json.loads((out / "tailspin-cloudflare" / "manifest.json").read_bytes())
    assert "parallel" not in alone


def test_check_of_the_folder_passes(specs: Path, tmp_path: Path) -> None:
    out = built(specs, tmp_path)
    result = run("check", str(specs), "-d", str(out))
    assert result.exit_code == 0, result.output
    assert "JG05" not in result.output


def test_removing_one_spec_fails_check_of_the_other_at_the_sentence(
    specs: Path, tmp_path: Path
) -> None:
    out = built(specs, tmp_path)
    (specs / CLOUDFLARE.name).unlink()
    shutil.rmtree(out / "contoso-cloudflare-parallel")
    result = run("check", str(specs), "-d", str(out))
    assert result.exit_code == 1
    where = f"{out / 'contoso-mimecast' / 'CHANGE.md'}:{sentence_line(out, 'contoso-mimecast')}:"
    [line] = [line for line in result.stdout.splitlines() if "JG050" in line]
    assert line.startswith(where)
    assert "contoso-cloudflare-parallel.yaml" in line and "no longer" in line
    assert "JG020" not in result.output  # one error for the sentence, not a stale file each
    # Building the folder again drops the sentence, and check passes.
    assert run("build", str(specs), "-d", str(out)).exit_code == 0
    assert ALSO not in change(out, "contoso-mimecast")
    assert run("check", str(specs), "-d", str(out)).exit_code == 0


def test_a_spec_added_for_the_tenant_fails_check_of_the_other(specs: Path, tmp_path: Path) -> None:
    moved = tmp_path / CLOUDFLARE.name
    (specs / CLOUDFLARE.name).rename(moved)
    out = built(specs, tmp_path)
    assert ALSO not in change(out, "contoso-mimecast")
    moved.rename(specs / CLOUDFLARE.name)
    result = run("check", str(specs), "-d", str(out))
    assert result.exit_code == 1
    [line] = [line for line in result.stdout.splitlines() if "JG050" in line]
    assert line.startswith(str(out / "contoso-mimecast" / "CHANGE.md"))
    assert "contoso-cloudflare-parallel.yaml" in line


def test_another_journal_address_fails_check_of_the_other(specs: Path, tmp_path: Path) -> None:
    out = built(specs, tmp_path)
    spec = specs / CLOUDFLARE.name
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("contoso-0123456789@", "contoso-42@"), encoding="utf-8")
    result = run("check", str(specs), "-d", str(out))
    assert result.exit_code == 1
    [line] = [line for line in result.stdout.splitlines() if "JG050" in line]
    assert line.startswith(str(out / "contoso-mimecast" / "CHANGE.md"))
    assert "contoso-42@journaling.mxrecord.io" in line


def test_an_edit_of_the_other_spec_that_the_sentence_does_not_show_keeps_the_bundle(
    specs: Path, tmp_path: Path
) -> None:
    out = built(specs, tmp_path)
    bundle = out / "contoso-mimecast"
    before = {p.name: p.read_bytes() for p in bundle.iterdir()}
    spec = specs / CLOUDFLARE.name
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("Journal all messages to Cloudflare", "To Cloudflare"))
    assert run("build", str(specs), "-d", str(out)).exit_code == 0
    assert {p.name: p.read_bytes() for p in bundle.iterdir()} == before
    assert run("check", str(specs), "-d", str(out)).exit_code == 0


def test_one_spec_alone_keeps_the_parallel_run_its_manifest_records(
    specs: Path, tmp_path: Path
) -> None:
    out = built(specs, tmp_path)
    spec = specs / MIMECAST.name
    spec.write_text(spec.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    result = run("build", str(spec), "-d", str(out))
    assert result.exit_code == 0, result.output
    assert MIMECAST_SAYS in joined(change(out, "contoso-mimecast"))
    assert "contoso-cloudflare-parallel.yaml" in result.stderr and "manifest" in result.stderr
    # check of the spec alone accepts the sentence on the manifest's word, and says so.
    alone = run("check", str(spec), "-d", str(out))
    assert alone.exit_code == 0, alone.output
    [line] = [line for line in alone.stdout.splitlines() if "JG051" in line]
    assert line.startswith(f"{out / 'contoso-mimecast' / 'CHANGE.md'}:")
    assert "warning" in line
    assert run("check", str(spec), "-d", str(out), "--strict").exit_code == 1
    # The folder verifies it.
    assert run("check", str(specs), "-d", str(out), "--strict").exit_code == 0


def test_one_spec_alone_with_no_record_knows_no_parallel_run(specs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("build", str(specs / MIMECAST.name), "-d", str(out)).exit_code == 0
    assert ALSO not in change(out, "contoso-mimecast")
    assert run("check", str(specs / MIMECAST.name), "-d", str(out)).exit_code == 0
    for other in (CLOUDFLARE, OTHER_TENANT):
        assert run("build", str(specs / other.name), "-d", str(out)).exit_code == 0
    result = run("check", str(specs), "-d", str(out))
    assert result.exit_code == 1
    assert "JG050" in result.stdout
    # Given together, as two files, they know each other.
    together = run(
        "build", str(specs / MIMECAST.name), str(specs / CLOUDFLARE.name), "-d", str(out)
    )
    assert together.exit_code == 0
    assert MIMECAST_SAYS in joined(change(out, "contoso-mimecast"))
    assert run("check", str(specs), "-d", str(out)).exit_code == 0


def test_jobs_2_builds_the_same_bytes(specs: Path, tmp_path: Path) -> None:
    one = built(specs, tmp_path)
    two = tmp_path / "two"
    assert run("build", str(specs), "-d", str(two), "--jobs", "2").exit_code == 0
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)
    assert run("check", str(specs), "-d", str(two), "--jobs", "2").exit_code == 0


def test_the_manifest_is_not_taken_at_its_word_when_the_specs_are_given(
    specs: Path, tmp_path: Path
) -> None:
    out = built(specs, tmp_path)
    bundle = out / "contoso-mimecast"
    # Rewrite the record, CHANGE.md and their hashes consistently, as someone hiding a run would.
    manifest = json.loads((bundle / "manifest.json").read_bytes())
    manifest["parallel"][0]["journal_address"] = "elsewhere@attacker.example"
    text = change(out, "contoso-mimecast")
    text = text.replace("contoso-0123456789@journaling.mxrecord.io", "elsewhere@attacker.example")
    (bundle / "CHANGE.md").write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode()).hexdigest()
    manifest["artifacts"]["CHANGE.md"] = digest
    (bundle / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    result = run("check", str(specs), "-d", str(out))
    assert result.exit_code == 1
    [line] = [line for line in result.stdout.splitlines() if "JG050" in line]
    assert "elsewhere@attacker.example" in line
    assert "contoso-0123456789@journaling.mxrecord.io" in line
