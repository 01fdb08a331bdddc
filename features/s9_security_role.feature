Feature: S9 - the keys' security role holds exactly the levels the integration needs
  Permissions come from security roles (System > Security Roles). The integration's role
  holds the levels of S9.2-S9.8 at All; every other level stays None. The Examples below are the
default profile's table (`@default-profile`); `@profile` scenarios check every row of any
profile (`CW_PROFILE`).

  @S9 @needs-admin
  Scenario: On the target, the profile's security role exists
    Given the integration is set up on the target
    Then the administrator finds the profile's security role

  @S9.1 @needs-admin
  Scenario: On the target, the integration's API member holds the profile's security role
    Given the integration is set up on the target
    When the integration asks who it is
    Then the integration's API member holds the profile's security role

  @profile
  Scenario: Every level of the profile is held and usable
    Given the integration is set up on the target
    Then every level of the profile is in the integration's effective rights and usable

  @S9 @mock-only @destructive
  Scenario: A security role for the integration has a setting for every function
    Given a fresh ConnectWise tenant
    When the administrator creates the security role "Sophos Integration"
    Then the security role "Sophos Integration" has a setting for every function of the permission table

  @S9.1 @mock-only @destructive @default-profile
  Scenario: The built-in role named Member lacks the integration's levels until they are set
    Given a fresh ConnectWise tenant
    Then the security role "Member" is missing levels of the integration profile
    When the integration's levels are set on the security role "Member"
    Then the security role "Member" holds every level of the integration profile

  @S9.1 @mock-only @destructive
  Scenario: The API member is given the integration's security role
    Given a fresh ConnectWise tenant
    And the administrator added the API member "SophosSync" named "Sophos Central"
    And the administrator creates the security role "Sophos Integration"
    And the integration's levels are set on the security role "Sophos Integration"
    When the administrator assigns the security role "Sophos Integration" to the API member "SophosSync"
    And the administrator adds an API key "Sophos Central integration" for "SophosSync" with "Save"
    Then the effective rights of "SophosSync" are exactly the integration profile

  @profile
  Scenario: The integration's own keys pass verify
    Given the integration's identity
    Then verify passes for the integration's identity

  @default-profile
  Scenario Outline: The integration's identity holds <function>: <action> Level = All
    Given the integration's identity
    Then its effective rights grant "<function>" <action> level All
    And calling <action> on "<function>" as the integration succeeds

    @S9.2
    Examples:
      | function                        | action  |
      | Companies > Company Maintenance | Inquire |

    @S9.3
    Examples:
      | function             | action  |
      | Finance > Agreements | Add     |
      | Finance > Agreements | Edit    |
      | Finance > Agreements | Inquire |

    @S9.4
    Examples:
      | function                      | action  |
      | Procurement > Product Catalog | Add     |
      | Procurement > Product Catalog | Edit    |
      | Procurement > Product Catalog | Inquire |

    @S9.5
    Examples:
      | function             | action  |
      | System > Table Setup | Add     |
      | System > Table Setup | Edit    |
      | System > Table Setup | Inquire |

    @S9.6
    Examples:
      | function                    | action  |
      | System > Member Maintenance | Inquire |

    @S9.7
    Examples:
      | function                       | action  |
      | Service Desk > Service Tickets | Add     |
      | Service Desk > Service Tickets | Edit    |
      | Service Desk > Service Tickets | Inquire |

    @S9.8
    Examples:
      | function             | action  |
      | System > API Reports | Inquire |

  @mock-only @default-profile
  Scenario Outline: Without <function>: <action> Level = All the call is refused, naming the level
    Given a fresh ConnectWise tenant
    And an API member whose role has every integration level except "<function>" <action>
    Then calling <action> on "<function>" is refused with 403 naming "<function>: <action> Level = All required"
    When the level "<function>" <action> is set to All on that role
    Then calling <action> on "<function>" succeeds

    @S9.2
    Examples:
      | function                        | action  |
      | Companies > Company Maintenance | Inquire |

    @S9.3
    Examples:
      | function             | action  |
      | Finance > Agreements | Add     |
      | Finance > Agreements | Edit    |
      | Finance > Agreements | Inquire |

    @S9.4
    Examples:
      | function                      | action  |
      | Procurement > Product Catalog | Add     |
      | Procurement > Product Catalog | Edit    |
      | Procurement > Product Catalog | Inquire |

    @S9.5
    Examples:
      | function             | action  |
      | System > Table Setup | Add     |
      | System > Table Setup | Edit    |
      | System > Table Setup | Inquire |

    @S9.6
    Examples:
      | function                    | action  |
      | System > Member Maintenance | Inquire |

    @S9.7
    Examples:
      | function                       | action  |
      | Service Desk > Service Tickets | Add     |
      | Service Desk > Service Tickets | Edit    |
      | Service Desk > Service Tickets | Inquire |

    @S9.8
    Examples:
      | function             | action  |
      | System > API Reports | Inquire |
