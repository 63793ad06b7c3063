"""A table of values that are hard to export right: NULLs, quotes, newlines, unicode, NaN, …"""

AWKWARD_TABLE = """
CREATE TABLE IF NOT EXISTS awkward_values (
    id integer PRIMARY KEY,
    label text,
    amount numeric(14, 4),
    ratio double precision,
    big bigint,
    happened_at timestamp,
    happened_at_tz timestamptz,
    day date,
    flag boolean,
    tags text[],
    details jsonb,
    duration interval,
    raw bytea
);
INSERT INTO awkward_values VALUES
    (1, 'plain', 1.5, 0.1, 9007199254740993, '2024-01-15 10:30:05', '2024-01-15 10:30:05+02',
     '2024-01-15', true, '{a,b}', '{"k": "v"}', '1 day 02:03:04', '\\x00ff'),
    (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (3, '', 0, -0.0, 0, '1999-12-31 23:59:59.999999', '1970-01-01 00:00:00+00', '0001-01-01',
     false, '{}', '[]', '0', ''),
    (4, 'comma, "quote" and ''apostrophe''', -12345678.9012, 1e300, -1, '2038-01-19 03:14:08',
     '2024-03-31 02:30:00 Europe/Berlin', '2024-02-29', true, '{"with space","with,comma",NULL}',
     '{"nested": {"list": [1, 2.50, null]}}', '-3 years', '\\x5c'),
    (5, E'line one\\nline two\\r\\nline three', 'NaN', 'Infinity', 42, '2024-01-15 00:00:00',
     '2024-10-27 02:30:00+01', '2024-12-31', NULL, '{"{braces}"}', '"a string"', '1 mon', NULL),
    (6, 'unicode: Grüße, 日本語, emoji 🎉, zero-width ‍ joiner', 3.14159, 'NaN', 7,
     '2024-06-01 12:00:00', '2024-06-01 12:00:00-07', '2024-06-01', false, NULL,
     '{"ünï": "cödé"}', NULL, NULL),
    (7, '\\N', 1, 1, 1, NULL, NULL, NULL, true, '{"\\\\N"}', 'null', NULL, NULL)
ON CONFLICT (id) DO NOTHING;
CREATE TABLE IF NOT EXISTS victims (id integer PRIMARY KEY);
INSERT INTO victims SELECT generate_series(1, 10) ON CONFLICT DO NOTHING;
"""
