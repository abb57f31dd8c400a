-- The v1.1 User resource: whether the address was verified through an emailed link, and the
-- address a requested change waits to confirm. Accounts from before are unverified.
ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN pending_email TEXT;
