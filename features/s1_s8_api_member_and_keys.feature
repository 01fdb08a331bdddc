Feature: S1-S8 - an API member and its API keys
  Keys are generated for a member, not for a shared account (S1), under
  System > Members > API Members (S2-S4), in the member's API Keys tab (S5-S8).
  The private key is shown only when the key is saved with "Save" (S7, S8). The real API has
no key endpoint: on a sandbox, a working key is seen by the keys authenticating as the member.

  @S1 @S2 @S3 @S4 @needs-admin
  Scenario: On the target, the integration's keys belong to an API member of its own, with the details entered
    Given the integration is set up on the target
    When the integration asks who it is
    Then the administrator finds that member among the API members, active, with the profile's name
    And that member is not the administrator's own login

  @S5 @S6 @S7 @S8
  Scenario: On the target, the API member has an active key and the integration's keys authenticate as it
    Given the integration is set up on the target
    When the integration asks who it is
    Then its keys authenticate as the profile's API member

  @S1 @S2 @S3 @mock-only @destructive
  Scenario: The administrator adds an API member of its own for the integration
    Given a fresh ConnectWise tenant
    When the administrator adds the API member "SophosSync" named "Sophos Central"
    Then the API member "SophosSync" is in the API member list
    And the API member "SophosSync" is a member of its own, not a shared account

  @S4 @mock-only
  Scenario: Clicking the new member's name opens its details
    Given a fresh ConnectWise tenant
    And the administrator added the API member "SophosSync" named "Sophos Central"
    When the administrator opens the API member "SophosSync" from the list
    Then the member's details show the name "Sophos Central"

  @S5 @S6 @S7 @S8 @mock-only @destructive
  Scenario: Save shows the public and the private key, once
    Given a fresh ConnectWise tenant
    And the administrator added the API member "SophosSync" named "Sophos Central"
    When the administrator adds an API key "Sophos Central integration" for "SophosSync" with "Save"
    Then the public and the private key are shown
    And the keys authenticate as "SophosSync"
    And the private key can never be read back

  @S7 @mock-only @destructive
  Scenario: Save and Close loses the private key for good
    Given a fresh ConnectWise tenant
    And the administrator added the API member "SophosSync" named "Sophos Central"
    When the administrator adds an API key "Sophos Central integration" for "SophosSync" with "Save and Close"
    Then the key exists but its private key was never shown
    And the private key can never be read back

  @S8 @mock-only @destructive
  Scenario: A key whose private half was lost is deleted and made again with Save
    Given a fresh ConnectWise tenant
    And the administrator added the API member "SophosSync" named "Sophos Central"
    And the administrator adds an API key "Sophos Central integration" for "SophosSync" with "Save and Close"
    When the administrator deletes that key
    Then "SophosSync" has no API key
    When the administrator adds an API key "Sophos Central integration" for "SophosSync" with "Save"
    Then the keys authenticate as "SophosSync"
