DROP TABLE oidc_codes;
DROP TABLE oidc_flows;
DROP TABLE identities;
