-- The identifier a provisioning client (SCIM `externalId`) keeps for an account.
ALTER TABLE accounts ADD COLUMN external_id TEXT;
