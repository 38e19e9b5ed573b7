"""B23: verifiable certificate credentials, sign and verify (DESIGN.md section 8: <= 10 ms each).

Signs `--credentials` Open Badges 3.0 credentials with an ``eddsa-rdfc-2022`` proof (the service's code:
badge.credential, then proof.sign: two RDFC-1.0 canonicalizations with pyld, two SHA-256, one Ed25519
signature), then verifies each as the verify page and the CLI do (verify_credential: the credential's
proof, then the signed status list's proof and its bit) and, separately, the credential's proof alone.
Anchor for scale: a bare Ed25519 signature and verification of 64 bytes (cryptography). Reports p50/p99
wall-clock ms and the p50 of process CPU ms (the cost itself when the machine is shared).

Run: PYTHONPATH=src python bench/b23_credentials.py [--credentials 300] [--json out.json]
"""

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gameservices.credentials import badge, keys, proof, status_list
from gameservices.credentials.multibase import public_key_multibase
from gameservices.credentials.verification import verify_credential

ISSUER = "https://certs.example.org/issuers/101"
LIST_URL = "https://certs.example.org/status/101/1"
TARGETS = {"sign_ms_p50": "<= 10 ms", "verify_ms_p50": "<= 10 ms"}


def facts(number: int) -> badge.CertificateFacts:
    """The facts of the `number`th credential (another holder, credits and date each time)."""
    return badge.CertificateFacts(
        credential_url=f"https://certs.example.org/credentials/cred{number:019d}",
        issuer_url=ISSUER,
        issuer_name="Acme Learning",
        certificate_key="64b7f0c2a1b2c3d4e5f60718",
        certificate_name="CPE Certificate",
        certificate_description="Continuing Professional Education",
        credits_available=3,
        criteria_url="https://mysite.events.example",
        holder_name=f"Participant {number}",
        holder_email=f"p{number}@example.org",
        email_salt=f"{number:016x}",
        credits_earned=1.5 + number % 10,
        valid_from=1_748_858_400 + number,
        status=badge.StatusEntry(LIST_URL, number),
    )


def timed(action: Callable[[int], Any], count: int) -> tuple[list[float], list[float]]:
    """Wall-clock and process CPU seconds of each of `count` calls (after one warm-up call)."""
    action(0)
    seconds, cpu = [], []
    for number in range(count):
        started, started_cpu = time.perf_counter(), time.process_time()
        action(number)
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return seconds, cpu


def figures_of(prefix: str, measured: tuple[list[float], list[float]]) -> dict[str, float]:
    """p50 and p99 in milliseconds, and the p50 of CPU time (what the call costs on a machine shared with
    other work), named with `prefix`."""
    ordered = sorted(measured[0])
    return {
        f"{prefix}ms_p50": statistics.median(ordered) * 1e3,
        f"{prefix}ms_p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3,
        f"{prefix}cpu_ms_p50": statistics.median(measured[1]) * 1e3,
    }


def main() -> None:
    """Sign, verify, print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--credentials", type=int, default=300)
    parser.add_argument("--json", help="also write the figures to this file")
    options = parser.parse_args()
    key = Ed25519PrivateKey.generate()
    multikey = public_key_multibase(key.public_key().public_bytes_raw())
    public = keys.public_key(multikey)
    method = proof.ProofOptions(f"{ISSUER}#key-1", "2025-06-02T10:00:00Z")
    signed: dict[int, dict[str, Any]] = {}

    def sign(number: int) -> None:
        signed[number] = proof.sign(badge.credential(facts(number)), key, method)

    unsigned_list = status_list.status_list_credential(
        list_url=LIST_URL,
        issuer_url=ISSUER,
        revoked=range(0, options.credentials, 7),
        valid_from=1_748_858_400,
    )
    statuses = proof.sign(unsigned_list, key, method)
    figures: dict[str, float] = {"credentials": options.credentials}
    data = b"x" * 64
    signature = key.sign(data)
    figures.update(figures_of("anchor_ed25519_sign_", timed(lambda _n: key.sign(data), options.credentials)))
    figures.update(
        figures_of(
            "anchor_ed25519_verify_", timed(lambda _n: public.verify(signature, data), options.credentials)
        )
    )
    figures.update(figures_of("sign_", timed(sign, options.credentials)))
    figures.update(
        figures_of(
            "verify_", timed(lambda n: verify_credential(signed[n], multikey, statuses), options.credentials)
        )
    )
    figures.update(
        figures_of(
            "verify_proof_only_", timed(lambda n: proof.verify(signed[n], public), options.credentials)
        )
    )
    states = {verify_credential(signed[n], multikey, statuses).state for n in range(options.credentials)}
    assert states == {"valid", "revoked"}, states
    for name, value in figures.items():
        print(f"{name:32} {value:>12,.3f}  {TARGETS.get(name, '')}".rstrip())
    if options.json:
        with open(options.json, "w") as output:
            json.dump(figures, output, indent=2)


if __name__ == "__main__":
    main()
