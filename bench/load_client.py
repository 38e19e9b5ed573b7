"""A small HTTP/1.1 keep-alive load client on asyncio: N concurrent clients, each sending its bodies in turn.

Deliberately minimal (prepared request bytes, Content-Length responses only) so that on a 2-core machine
the client takes as little CPU from the server as it can.
"""

import asyncio
import time


async def _one_client(
    port: int, path: str, headers: str, bodies: list[bytes], latencies: list[float], failures: list[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for body in bodies:
            head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{headers}"
            request = f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if b" 200 " not in status_line:
                failures.append(1)
    finally:
        writer.close()


async def _run(
    port: int, path: str, headers: str, per_client: list[list[bytes]]
) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    failures: list[int] = []
    started = time.perf_counter()
    await asyncio.gather(
        *(_one_client(port, path, headers, bodies, latencies, failures) for bodies in per_client)
    )
    return time.perf_counter() - started, latencies, len(failures)


def load(port: int, path: str, per_client: list[list[bytes]], token: str = "") -> dict[str, float]:
    """Send every client's bodies (clients run concurrently); return requests/s, p50/p99 ms and failures."""
    headers = f"Authorization: Bearer {token}\r\n" if token else ""
    seconds, latencies, failures = asyncio.run(_run(port, path, headers, per_client))
    latencies.sort()
    return {
        "requests_per_s": len(latencies) / seconds,
        "p50_ms": latencies[len(latencies) // 2] * 1e3,
        "p99_ms": latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)] * 1e3,
        "failures": float(failures),
        "seconds": seconds,
    }
