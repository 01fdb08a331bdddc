Feature: S0 - the integrator login exists before starting
  The integration's setup starts from an integrator login in ConnectWise
  (System > Setup Tables > Integrator Login, `/system/integratorlogins`). If it was
  removed, it is recreated before anything else.

  Background:
    Given a fresh ConnectWise tenant

  @S0 @mock-only @destructive @assumption
  Scenario: The integrator login is active, reaches all records and has the integration's API flags
    When the administrator creates the integrator login "SophosSync" for the integration
    Then the integrator login "SophosSync" is active with access to all records
    And the integrator login "SophosSync" has the API flags the integration needs
    And no answer contains the integrator password

  @S0 @mock-only @destructive
  Scenario: A removed integrator login is recreated before starting
    Given the administrator creates the integrator login "SophosSync" for the integration
    When the administrator deletes the integrator login "SophosSync"
    Then the integrator login "SophosSync" does not exist
    When the administrator creates the integrator login "SophosSync" for the integration
    Then the integrator login "SophosSync" is active with access to all records

  @S0 @mock-only @assumption
  Scenario: The integrator login can act for a member through a member token
    Given the administrator creates the integrator login "SophosSync" for the integration
    When the integrator login "SophosSync" asks for a token for member "jdoe"
    Then the token authenticates as "jdoe"
