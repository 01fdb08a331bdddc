Feature: Callbacks - ConnectWise tells an integration what changed
  An integration registers an entry in /system/callbacks (a type, a level, the record it
  watches, a URL). ConnectWise then POSTs every add, update and delete of a matching record to
  that URL with the record's id appended, signed (x-content-signature) with a key that the
  body's Metadata.key_url serves. See docs/callbacks.md.

  Background:
    Given a fresh ConnectWise tenant
    And a callback receiver

  @mock-only
  Scenario: A registration of a known type and level is kept and filled in by the server
    When the integration registers a callback for "Ticket" at level "Board" on object 1
    Then the registration is kept with type "ticket", level "board" and objectId 1

  @mock-only
  Scenario: An owner-level registration watches every record, so its objectId is 1
    When the integration registers a callback for "company" at level "owner" on object 0
    Then the registration is kept with type "company", level "owner" and objectId 1

  @mock-only
  Scenario Outline: The server refuses a registration it could not deliver
    When the integration registers a callback for "<type>" at level "<level>" with the url "<url>"
    Then the registration is refused with "<message>" on the field "<field>"

    Examples:
      | type           | level   | url                    | field | message                                                                            |
      | ticket         | company | https://h.example/?id= | level | Unrecognized level for type, see documentation for supported levels for each type |
      | productcatalog | status  | https://h.example/?id= | level | Unrecognized level for type, see documentation for supported levels for each type |
      | ticket         | owner   | h.example/cb?id=       | url   | Invalid URL                                                                        |
      | ticket         | owner   | ftp://h.example/cb     | url   | Invalid URL                                                                        |

  @mock-only
  Scenario: The same registration twice is refused
    Given the integration registered a callback for "ticket" at level "owner" on object 1
    When the integration registers a callback for "ticket" at level "owner" on object 1
    Then the registration is refused with "A matching callback entry already exists" on the field "objectId"

  @mock-only @assumption
  Scenario: A new ticket on the watched board is delivered, signed with the key from key_url
    Given the integration registered a callback for "ticket" at level "board" on object 1
    When a ticket is created on board 1
    And a ticket is created on board 2
    Then the receiver gets 1 delivery
    And the delivery says the ticket was "added", with the ticket as its Entity
    And the delivery's signature verifies with the key from its key_url

  @mock-only @assumption
  Scenario: No vendor page says which security-role row governs /system/callbacks
    Then the permission table marks the row of "/system/callbacks" as an assumption
