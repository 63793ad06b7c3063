"""A user can check a cron expression and time zone before saving them."""

from datetime import datetime

import httpx


async def test_preview_lists_the_next_fire_times_in_the_zone_with_a_description(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/api/schedule/preview",
        params={"cron": "0 7 1 * *", "timezone": "Europe/Berlin", "count": 3},
    )
    assert response.status_code == 200, response.text
    preview = response.json()
    runs = [datetime.fromisoformat(run) for run in preview["next_runs"]]
    assert len(runs) == 3
    assert all((run.day, run.hour, run.minute) == (1, 7, 0) for run in runs)
    assert runs == sorted(runs)
    assert preview["description"] == "At 07:00, on day 1 of the month"
    assert preview["rules"] == (
        "On DST days a skipped time runs just after the gap, and a repeated time once."
    )


async def test_preview_says_how_the_day_fields_combine(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/schedule/preview", params={"cron": "0 0 */2 * 1"})
    assert response.status_code == 200, response.text
    assert response.json()["rules"].startswith("Only days matching both")


async def test_an_invalid_expression_or_zone_is_a_422_naming_the_parameter(
    client: httpx.AsyncClient,
) -> None:
    bad_cron = await client.get("/api/schedule/preview", params={"cron": "0 7 1 *"})
    bad_zone = await client.get(
        "/api/schedule/preview", params={"cron": "0 7 1 * *", "timezone": "Mars/Olympus"}
    )
    never = await client.get("/api/schedule/preview", params={"cron": "0 0 30 2 *"})
    assert bad_cron.status_code == 422
    assert bad_cron.json()["detail"][0]["loc"] == ["query", "cron"]
    assert bad_zone.status_code == 422
    assert bad_zone.json()["detail"][0]["loc"] == ["query", "timezone"]
    assert never.status_code == 422
