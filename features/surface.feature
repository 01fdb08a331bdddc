Feature: The surface an integration calls beyond its own collections
  The mock serves every collection of the official 2026.4 file, each governed by a row of the
  security role: setup tables by System > Table Setup, contacts by Companies > Contacts. Which
  row governs a route without a vendor page saying so is the mock's choice (README A15.1),
  hence @assumption.

  @S9.5 @mock-only @assumption
  Scenario: Table Setup opens the setup tables a sync looks up first, and nothing else
    Given a fresh ConnectWise tenant
    And an API member "Lookups" whose role has "System > Table Setup" at All
    Then "Lookups" can read "/service/priorities"
    And "Lookups" can read "/service/boards/1/statuses"
    And "Lookups" can read "/service/boards/1/types"
    And "Lookups" can read "/system/locations"
    And "Lookups" can read "/company/companies/types"
    And "Lookups" reading "/company/contacts" is refused with 403 naming "Companies > Contacts: Inquire Level = All required"
    And "Lookups" reading "/service/tickets" is refused with 403 naming "Service Desk > Service Tickets: Inquire Level = All required"

  @S9.2 @mock-only @assumption
  Scenario: Company Maintenance opens a company's sites but not its contacts
    Given a fresh ConnectWise tenant
    And an API member "Customers" whose role has "Companies > Company Maintenance" at All
    Then "Customers" can read "/company/companies/2/sites"
    And "Customers" reading "/company/contacts" is refused with 403 naming "Companies > Contacts: Inquire Level = All required"
