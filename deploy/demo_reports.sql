-- The sample reports: the seed's three, plus a few realistic ones. Existing names are kept.
INSERT INTO reports (id, name, description, sql_query, schedule_cron, timezone, is_active, recipients)
VALUES
    (gen_random_uuid(), 'Daily User Count', 'Report showing daily active user count',
     'SELECT CURRENT_DATE as report_date, COUNT(DISTINCT user_id) as active_users FROM users WHERE last_active >= CURRENT_DATE',
     '0 9 * * *', 'UTC', true, '{}'),
    (gen_random_uuid(), 'Weekly Revenue Summary', 'Weekly revenue aggregation report',
     'SELECT DATE_TRUNC(''week'', order_date) as week, SUM(amount) as total_revenue, COUNT(*) as order_count FROM orders GROUP BY DATE_TRUNC(''week'', order_date) ORDER BY week DESC',
     '0 8 * * 1', 'UTC', true, '{finance@example.com,ops@example.com}'),
    (gen_random_uuid(), 'Monthly Product Sales', 'Monthly breakdown of product sales',
     'SELECT product_id, product_name, SUM(quantity) as total_quantity, SUM(amount) as total_amount FROM order_items oi JOIN products p ON oi.product_id = p.id GROUP BY product_id, product_name ORDER BY total_amount DESC',
     '0 7 1 * *', 'UTC', false, '{}'),
    (gen_random_uuid(), 'Top Customers by Revenue', 'The 20 customers with the most paid revenue in the last 90 days',
     'SELECT u.user_id, u.full_name, u.email, u.country, COUNT(o.id) AS orders, SUM(o.amount) AS revenue FROM users u JOIN orders o ON o.user_id = u.user_id WHERE o.status IN (''paid'', ''shipped'') AND o.order_date >= CURRENT_DATE - 90 GROUP BY u.user_id ORDER BY revenue DESC LIMIT 20',
     '0 7 * * 1', 'Europe/Berlin', true, '{sales@example.com}'),
    (gen_random_uuid(), 'Orders Awaiting Shipment', 'Paid orders not yet shipped, oldest first, for the operations team',
     'SELECT o.id AS order_id, o.order_date, u.full_name, u.email, o.amount FROM orders o JOIN users u ON u.user_id = o.user_id WHERE o.status = ''paid'' ORDER BY o.order_date, o.id',
     '0 6 * * 1-5', 'America/New_York', true, '{ops@example.com}'),
    (gen_random_uuid(), 'Refunds by Product', 'Refunded quantity and amount per product',
     'SELECT p.product_name, p.category, SUM(oi.quantity) AS refunded_units, SUM(oi.amount) AS refunded_amount FROM order_items oi JOIN orders o ON o.id = oi.order_id JOIN products p ON p.id = oi.product_id WHERE o.status = ''refunded'' GROUP BY p.product_name, p.category ORDER BY refunded_amount DESC',
     NULL, 'UTC', true, '{}')
ON CONFLICT (name) DO NOTHING;
