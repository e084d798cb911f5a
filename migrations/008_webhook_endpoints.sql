-- Chronos schema v8: webhook endpoints (SPEC 8.2), registered by an owner and targeted by its alarms as
-- {"type": "webhook", "endpoint": "ep_..."}. Applied once under an advisory lock; never edit after
-- release, add 009_... instead.
--
-- The secret signs (HMAC, Standard Webhooks v1) and so is kept as it was shown: the API shows it
-- only in the create and rotation answers. During a rotation the previous secret signs too, until
-- previous_secret_until.
CREATE TABLE endpoints (
  id text PRIMARY KEY,
  owner text NOT NULL,
  url text NOT NULL,
  description text,
  method text NOT NULL DEFAULT 'POST' CHECK (method IN ('POST', 'PUT', 'PATCH')),
  headers jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(headers) = 'object'),
  body text NOT NULL DEFAULT 'wake' CHECK (body IN ('wake', 'payload')),
  secret text NOT NULL,
  previous_secret text,
  previous_secret_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((previous_secret IS NULL) = (previous_secret_until IS NULL))
);

-- The owner's endpoints, newest first (list and count).
CREATE INDEX endpoints_owner ON endpoints (owner, created_at DESC, id DESC);
