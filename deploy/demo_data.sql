-- Demo data source for ReportFlow: the tables the sample reports query. Deterministic (setseed),
-- with dates relative to today so "Daily User Count" always has something to count.
CREATE TABLE IF NOT EXISTS users (
    user_id     integer PRIMARY KEY,
    full_name   text NOT NULL,
    email       text NOT NULL,
    country     text,
    plan        text NOT NULL,
    signup_date date NOT NULL,
    last_active timestamptz
);

CREATE TABLE IF NOT EXISTS products (
    id           integer PRIMARY KEY,
    product_name text NOT NULL,
    category     text NOT NULL,
    price        numeric(10, 2) NOT NULL
);

CREATE TABLE IF NOT EXISTS orders (
    id         integer PRIMARY KEY,
    user_id    integer NOT NULL REFERENCES users (user_id),
    order_date date NOT NULL,
    amount     numeric(12, 2) NOT NULL,
    status     text NOT NULL
);

CREATE TABLE IF NOT EXISTS order_items (
    id         integer PRIMARY KEY,
    order_id   integer NOT NULL REFERENCES orders (id),
    product_id integer NOT NULL REFERENCES products (id),
    quantity   integer NOT NULL,
    amount     numeric(12, 2) NOT NULL
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM users) THEN
        RETURN;
    END IF;
    PERFORM setseed(0.42);

    INSERT INTO users (user_id, full_name, email, country, plan, signup_date, last_active)
    SELECT n,
           (ARRAY['Ana', 'Bjørn', 'Chloé', 'Dmitri', 'Eun-ji', 'Farah', 'Gonzalo', 'Hana'])[1 + n % 8]
               || ' ' || (ARRAY['Silva', 'O''Brien', 'Müller', 'Nakamura', 'Smith, Jr.', 'Kowalski'])[1 + n % 6],
           'user' || n || '@example.com',
           CASE WHEN n % 17 = 0 THEN NULL
                ELSE (ARRAY['US', 'DE', 'FR', 'JP', 'BR', 'IN', 'GB'])[1 + n % 7] END,
           (ARRAY['free', 'pro', 'team'])[1 + n % 3],
           current_date - (random() * 720)::int,
           CASE WHEN n % 23 = 0 THEN NULL
                ELSE now() - random() * interval '30 days' END
    FROM generate_series(1, 500) AS n;

    INSERT INTO products (id, product_name, category, price) VALUES
        (1, 'Standard Widget', 'Widgets', 19.99),
        (2, 'Deluxe Widget', 'Widgets', 49.50),
        (3, 'Gadget "Pro"', 'Gadgets', 129.00),
        (4, 'Gizmo, small', 'Gizmos', 7.25),
        (5, 'Gizmo, large', 'Gizmos', 12.75),
        (6, 'Thingamajig™', 'Misc', 3.10);

    INSERT INTO orders (id, user_id, order_date, amount, status)
    SELECT n,
           1 + (random() * 499)::int,
           current_date - (random() * 180)::int,
           0,
           (ARRAY['paid', 'paid', 'paid', 'shipped', 'pending', 'refunded'])[1 + (random() * 5)::int]
    FROM generate_series(1, 3000) AS n;

    INSERT INTO order_items (id, order_id, product_id, quantity, amount)
    SELECT n, o.order_id, o.product_id, o.quantity, o.quantity * p.price
    FROM (
        SELECT n,
               1 + (n - 1) / 2 AS order_id,
               1 + (random() * 5)::int AS product_id,
               1 + (random() * 4)::int AS quantity
        FROM generate_series(1, 6000) AS n
    ) AS o
    JOIN products AS p ON p.id = o.product_id;

    UPDATE orders
    SET amount = totals.total
    FROM (SELECT order_id, sum(amount) AS total FROM order_items GROUP BY order_id) AS totals
    WHERE orders.id = totals.order_id;
END
$$;
