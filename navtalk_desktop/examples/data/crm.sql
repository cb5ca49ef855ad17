-- Example CRM for NavTalk Desktop's "Update customer status for John" use case.
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    company TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('lead', 'active', 'vip', 'inactive')),
    updated_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE status_history (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    old_status TEXT NOT NULL,
    new_status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    changed_at TEXT NOT NULL DEFAULT (datetime('now'))
);
INSERT INTO customers (name, email, company, status) VALUES
    ('John Carter', 'john.carter@example.com', 'Northwind Clinics', 'lead'),
    ('Maria Lopez', 'maria.lopez@example.com', 'Lopez Hotels', 'active'),
    ('Wei Zhang', 'wei.zhang@example.com', 'Beijing Learning Center', 'vip'),
    ('Amina Yusuf', 'amina.yusuf@example.com', 'Lagos Retail Group', 'lead'),
    ('Tom Becker', 'tom.becker@example.com', 'Becker Logistics', 'inactive'),
    ('Priya Raman', 'priya.raman@example.com', 'Raman Dental', 'active');
