-- Seed 002 gives each stage exit criteria: a fresh installation gates Proposal (a value and an
-- expected close) and Negotiation (a primary contact). Stages an admin has already edited keep
-- what they were given; only those still exactly as first shipped get the defaults.
update pipeline_stages set required_fields = '["value","expected_close"]'
 where key = 'proposal' and required_fields = '[]' and updated_at = created_at;
update pipeline_stages set required_fields = '["primary_contact_id"]'
 where key = 'negotiation' and required_fields = '[]' and updated_at = created_at;
