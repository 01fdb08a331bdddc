Feature: S1-S8 - an API member and its API keys
  Keys are generated for a member, not for a shared account (S1), under
  System > Members > API Members (S2-S4), in the member's API Keys tab (S5-S8).
  The private key is shown only when the key is saved with "Save" (S7, S8).

  Background:
    Given a fresh ConnectWise tenant

  @S1 @S2 @S3 @mock-only @destructive
  Scenario: The administrator adds an API member of its own for the integration
    When the administrator adds the API member "SophosSync" named "Sophos Central"
    Then the API member "SophosSync" is in the API member list
    And the API member "SophosSync" is a member of its own, not a shared account

  @S4 @mock-only
  Scenario: Clicking the new member's name opens its details
    Given the administrator added the API member "SophosSync" named "Sophos Central"
    When the administrator opens the API member "SophosSync" from the list
    Then the member's details show the name "Sophos Central"

  @S5 @S6 @S7 @S8 @mock-only @destructive
  Scenario: Save shows the public and the private key, once
    Given the administrator added the API member "SophosSync" named "Sophos Central"
    When the administrator adds an API key "Sophos Central integration" for "SophosSync" with "Save"
    Then the public and the private key are shown
    And the keys authenticate as "SophosSync"
    And the private key can never be read back

  @S7 @mock-only @destructive
  Scenario: Save and Close loses the private key for good
    Given the administrator added the API member "SophosSync" named "Sophos Central"
    When the administrator adds an API key "Sophos Central integration" for "SophosSync" with "Save and Close"
    Then the key exists but its private key was never shown
    And the private key can never be read back

  @S8 @mock-only @destructive
  Scenario: A key whose private half was lost is deleted and made again with Save
    Given the administrator added the API member "SophosSync" named "Sophos Central"
    And the administrator adds an API key "Sophos Central integration" for "SophosSync" with "Save and Close"
    When the administrator deletes that key
    Then "SophosSync" has no API key
    When the administrator adds an API key "Sophos Central integration" for "SophosSync" with "Save"
    Then the keys authenticate as "SophosSync"
