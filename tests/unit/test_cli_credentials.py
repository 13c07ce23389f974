"""``kerjasama credentials init``: the compose stack's passwords, made once, kept, and given
to each server in the form it reads (definitions with hashes, SQL with SCRAM verifiers)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from deploy.postgres import roles
from deploy.rabbitmq import definitions as defs
from services.cli import main
from services.cli.compose_credentials import DEFINITIONS, ROLES_SCRIPT, init

SYSTEMS = json.loads(defs.SYSTEMS.read_text())


def systems_file(tmp_path: Path, *extra: Any) -> Path:
    path = tmp_path / "systems.json"
    path.write_text(json.dumps({"systems": [*SYSTEMS["systems"], *extra]}))
    return path


def test_scram_verifiers_are_those_of_rfc_7677() -> None:
    """RFC 7677's example (user "user", password "pencil"): the server key made here signs
    the exchange with the server signature the RFC gives."""
    import hashlib
    import hmac

    verifier = roles.scram_verifier("pencil", base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ=="))
    server_key = base64.b64decode(verifier.rsplit(":", 1)[1])
    nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    auth_message = (f"n=user,r=rOprNGfwEbeRWgbNEkqO,r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,"
                    f"i=4096,c=biws,r={nonce}")
    signature = hmac.new(server_key, auth_message.encode(), hashlib.sha256).digest()
    assert base64.b64encode(signature).decode() == "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    assert roles.check_scram("pencil", verifier)
    assert not roles.check_scram("pencil ", verifier)
    assert not roles.check_scram("pencil", "md5" + "0" * 32)


def test_the_roles_script_keeps_a_verifier_only_while_it_matches_its_password() -> None:
    passwords = {name: f"pw-{name}" for name in (*roles.ROLES, roles.SUPERUSER)}
    first = roles.script(passwords)
    assert roles.script(passwords, first) == first
    changed = roles.script({**passwords, "kerjasama_reporting": "new"}, first)
    old, new = roles.verifiers(first), roles.verifiers(changed)
    assert {k for k in old if old[k] != new[k]} == {"kerjasama_reporting"}
    assert roles.check_scram("new", new["kerjasama_reporting"])
    assert all(p not in first for p in passwords.values())


def test_a_new_outside_system_gets_its_own_password_and_the_others_are_kept(
        tmp_path: Path) -> None:
    directory = tmp_path / "credentials"
    init(directory, defs.load_systems(systems_file(tmp_path)))
    operator = directory / "operator" / "rabbitmq"
    before = {p.name: p.read_text() for p in operator.iterdir()}
    bekasi = {"name": "bekasi", "roles": ["system:bekasi"],
              "queues": {"signed": [{"exchange": "kerjasama.events",
                                     "routing_key": "agreement.signed"}]}}
    lines = init(directory, defs.load_systems(systems_file(tmp_path, bekasi)))
    after = {p.name: p.read_text() for p in operator.iterdir()}
    assert set(after) - set(before) == {"kerjasama-external-bekasi"}
    assert {k: after[k] for k in before} == before
    assert f"updated {directory / DEFINITIONS}" in lines
    assert f"kept {directory / ROLES_SCRIPT}" in lines
    users = {u["name"]: u for u in json.loads((directory / DEFINITIONS).read_text())["users"]}
    assert defs.check_password(after["kerjasama-external-bekasi"],
                               users["kerjasama-external-bekasi"]["password_hash"])


def test_a_password_the_operator_puts_in_place_is_the_one_used(tmp_path: Path) -> None:
    directory = tmp_path / "credentials"
    own = directory / "operator" / "postgres" / "kerjasama_agreements"
    own.parent.mkdir(parents=True)
    own.write_text("chosen by the operator/with:odd@chars\n")
    init(directory, ())
    url = (directory / "agreements" / "KERJASAMA_AGREEMENTS_DATABASE_URL").read_text()
    assert url == ("postgresql://kerjasama_agreements:chosen%20by%20the%20operator%2Fwith%3A"
                   "odd%40chars@postgres:5432/kerjasama_agreements")
    verifier = roles.verifiers((directory / ROLES_SCRIPT).read_text())["kerjasama_agreements"]
    assert roles.check_scram("chosen by the operator/with:odd@chars", verifier)


def test_an_invalid_systems_file_is_one_line_naming_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "systems.json"
    bad.write_text('{"systems": [{"name": "Bad Name"}]}')
    assert main(["credentials", "init", str(tmp_path / "out"), "--systems", str(bad)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("kerjasama: credentials init ") and str(bad) in error
    assert len(error.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
