@ui @mock-only
Feature: The procedure walked in the browser, on the mock console's ConnectWise screens
  Steps S2-S9 are clicks in ConnectWise's web UI. The mock serves the same screens under
  /__mock/ui/; these scenarios click through them in headless Chromium and prove with the
  API that what the screens did is real.

  @S2 @S3 @S4 @S5 @S6 @S7 @S8
  Scenario: Adding an API member and a key with Save gives keys that authenticate
    Given the mock console is open in the browser
    When I open System > Members, the API Members tab, and click +
    And I enter the member "SophosSync" named "Sophos Central" with the role "Admin" and save
    And I click the member "SophosSync" in the list
    And I open the API Keys tab and click +
    And I enter the description "Sophos Central integration" and click "Save"
    Then the page shows the public and the private key once, with the warning
    And the keys read off the page authenticate against the API as "SophosSync"

  @S7
  Scenario: Save and Close returns to the list and the private key is never shown
    Given the mock console is open in the browser
    And the API member "SophosSync" exists
    When I open the API Keys tab of "SophosSync" and click +
    And I enter the description "Closed too early" and click "Save and Close"
    Then I am back on the API Keys tab and no private key is on the page
    And the API knows the key but its private half was never shown

  @S9 @S9.3
  Scenario: A level set on the role screen is enforced by the API
    Given the mock console is open in the browser
    And an API member whose role holds the integration profile
    When I set "Finance > Agreements" Add Level to "None" on its role screen and save
    Then the role screen's badge names "Finance > Agreements: Add Level = All" as missing
    And the API refuses that member's new agreement with 403
    When I set "Finance > Agreements" Add Level to "All" on its role screen and save
    Then the API accepts that member's new agreement

  @S0 @S9
  Scenario: The Integrator Login table and the Security Roles list show what S0 and S9 need
    Given the mock console is open in the browser
    When I open the Integrator Login table
    Then it lists "BackupSync" and no password
    When I open System > Security Roles
    Then the role "Admin" meets the integration profile and the role "Member" misses levels
