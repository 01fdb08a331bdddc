Feature: S9 - security roles as ConnectWise has them
  A security role has a row for every module > function the Security Roles screen lists (the
  rows 41 vendors publish), a row can carry a Customize allow-list of sub-items, `My` means the
  records a member owns, is assigned to or entered, and the member's own level (Corporate or a
  location) and excluded service boards decide which records it sees at all.
  The evidence is vendor documentation (shared/reference/vendor-roles.json), hence @assumption.

  @S9 @assumption
  Scenario: Every published row of the role catalogue is in the integration's effective rights
    Given the integration's identity
    Then its effective rights list every published row of the catalogue with its module

  @S9 @mock-only @assumption
  Scenario: A Customize list on Table Setup lets only its sub-items through
    Given a fresh ConnectWise tenant
    And an API member "BoardsOnly" whose role has "System > Table Setup" at All
    When the role of "BoardsOnly" limits "System > Table Setup" to "Service / Service Board"
    Then "BoardsOnly" can read "/service/boards"
    And "BoardsOnly" can read "/service/boards/count"
    And "BoardsOnly" can read "/service/boards/1/statuses"
    And "BoardsOnly" reading "/service/priorities" is refused with 403 naming "System > Table Setup: Service / Priority is not in the role's Customize list"
    And the role of "BoardsOnly" reports customFlag true on "System > Table Setup"

  @S9 @mock-only @assumption
  Scenario: Soft mode derives the Customize list a workload needed
    Given a fresh ConnectWise tenant
    And soft mode is on
    And an API member "SoftBoards" whose role has "System > Table Setup" at None
    When "SoftBoards" reads "/service/boards"
    Then the permission journal derives for "SoftBoards" the Customize list "Service / Service Board" on "System > Table Setup"

  @S9 @mock-only @assumption
  Scenario: Add at My creates a ticket the member then reads at Inquire My, and others' stay invisible
    Given a fresh ConnectWise tenant
    And an API member "MyTickets" whose role has "Service Desk > Service Tickets" at My
    When "MyTickets" creates a ticket
    Then "MyTickets" can read that ticket
    And "MyTickets" lists exactly 1 ticket
    And "MyTickets" reading "/service/tickets/1" is refused with 403 naming "Service Desk > Service Tickets: Inquire Level = All required"

  @S9 @mock-only @assumption
  Scenario: My reaches the tickets a member owns or is assigned to
    Given a fresh ConnectWise tenant
    And an API member "Assignee" whose role has "Service Desk > Service Tickets" at My
    When the administrator creates a ticket owned by "Assignee"
    And the administrator creates a ticket with the resources "jdoe, Assignee"
    And the administrator creates a ticket with the resources "jdoe"
    Then "Assignee" lists exactly 2 tickets

  @S9 @mock-only @assumption
  Scenario: A member below Corporate does not see another location's company
    Given a fresh ConnectWise tenant
    And an API member "TampaOnly" whose role has "Companies > Company Maintenance" at All
    And the API member "TampaOnly" is at the level "Location" of location 1
    When the administrator creates the company "HereCo" in territory 1
    And the administrator creates the company "ThereCo" in territory 2
    Then "TampaOnly" sees the company "HereCo"
    And "TampaOnly" does not see the company "ThereCo"

  @S9 @mock-only @assumption
  Scenario: An API member's excluded service board hides the board and its tickets
    Given a fresh ConnectWise tenant
    And an API member "NoAlerts" whose role has "Service Desk > Service Tickets" at All
    When the API member "NoAlerts" excludes the service board "Alerts"
    Then "NoAlerts" sees no ticket of the service board "Alerts"
    And "NoAlerts" sees tickets of the service board "Help Desk"
