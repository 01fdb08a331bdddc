Feature: The provisioner turns the procedure into plan, apply and verify
  `provisioner plan` reports every step, `provisioner apply` makes the setup (on the mock
  also the UI-only steps, through its console) and writes the key file, and
  `provisioner verify` proves the integration's own keys hold every level.

  @S0 @S1 @S2 @S3 @S4 @S5 @S6 @S7 @S8 @S9 @S9.1 @S9.2 @S9.3 @S9.4 @S9.5 @S9.6 @S9.7 @S9.8 @mock-only @destructive
  Scenario: plan, apply and verify on a fresh tenant, and a second apply changes nothing
    Given a fresh ConnectWise tenant
    When the operator runs plan
    Then every step from S0 to S9.8 is reported as "to do"
    When the operator runs apply
    Then every step from S0 to S9.8 is reported as "done"
    And the key file is readable only by its owner and holds the integration's identity
    And verify passes with the key file
    When the operator runs apply
    Then the second apply changed nothing
