"""The time zones the report form offers are exactly those a report accepts."""

import httpx


async def test_time_zones_are_sorted_and_each_is_accepted_by_the_schedule_preview(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/timezones")
    assert response.status_code == 200
    zones = response.json()
    assert zones == sorted(zones)
    assert {"UTC", "Europe/Berlin", "America/New_York"} <= set(zones)
    assert "max-age" in response.headers["cache-control"]
    for zone in (zones[0], zones[-1], "Europe/Berlin"):
        preview = await client.get(
            "/api/schedule/preview", params={"cron": "0 7 * * *", "timezone": zone}
        )
        assert preview.status_code == 200, zone
