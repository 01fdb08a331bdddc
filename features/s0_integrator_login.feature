Feature: S0 - the integrator login exists before starting
  The integration's setup starts from an integrator login in ConnectWise
  (System > Setup Tables > Integrator Login, `/system/integratorlogins`). If it was
  removed, it is recreated before anything else. On a sandbox the first scenario reads it as
an administrator (`CW_ADMIN_*`); the others make it through the mock.

  @S0 @needs-admin
  Scenario: On the target, the profile's integrator login is active, reaches all records and has its API flags
    Given the integration is set up on the target
    Then the administrator finds the profile's integrator login active, reaching all records, with its API flags

  @S0 @mock-only @destructive @assumption
  Scenario: The integrator login is active, reaches all records and has the integration's API flags
    Given a fresh ConnectWise tenant
    When the administrator creates the integrator login "SophosSync" for the integration
    Then the integrator login "SophosSync" is active with access to all records
    And the integrator login "SophosSync" has the API flags the integration needs
    And no answer contains the integrator password

  @S0 @mock-only @destructive
  Scenario: A removed integrator login is recreated before starting
    Given a fresh ConnectWise tenant
    And the administrator creates the integrator login "SophosSync" for the integration
    When the administrator deletes the integrator login "SophosSync"
    Then the integrator login "SophosSync" does not exist
    When the administrator creates the integrator login "SophosSync" for the integration
    Then the integrator login "SophosSync" is active with access to all records

  @S0 @mock-only @assumption
  Scenario: The integrator login can act for a member through a member token
    Given a fresh ConnectWise tenant
    And the administrator creates the integrator login "SophosSync" for the integration
    When the integrator login "SophosSync" asks for a token for member "jdoe"
    Then the token authenticates as "jdoe"
