//! The integrator login's flags a profile may name: the boolean fields of `IntegratorLogin`
//! in the 2026.4 spec. A name outside this list (a typo such as `compnyApiFlag`) is refused at
//! FILE:LINE when the profile is parsed (issue #27, defect 17), instead of passing every check
//! and leaving `apply` with a flag the server cannot set.

/// The flags of an integrator login (`IntegratorLogin` in the 2026.4 spec, every boolean but
/// `inactiveFlag`): the only names `[integrator_login] flags` may hold (A27.53).
pub const INTEGRATOR_FLAGS: &[&str] = &[
    "canAccessAllRecordsFlag",
    "canAccessAllApisFlag",
    "serviceTicketApiFlag",
    "serviceBoardLegacyCallbackFlag",
    "timeEntryApiFlag",
    "timeEntryLegacyCallbackFlag",
    "managedServicesApiFlag",
    "managedServicesAutoChildFlag",
    "managedServicesChildingFlag",
    "contactApiFlag",
    "contactLegacyCallbackFlag",
    "companyApiFlag",
    "companyLegacyCallbackFlag",
    "activityApiFlag",
    "activityLegacyCallbackFlag",
    "invoiceApiFlag",
    "productApiFlag",
    "productLegacyCallbackFlag",
    "opportunityApiFlag",
    "opportunityLegacyCallbackFlag",
    "opportunityConversionApiFlag",
    "memberApiFlag",
    "marketingApiFlag",
    "purchasingApiFlag",
    "purchasingLegacyCallbackFlag",
    "reportingApiFlag",
    "systemApiFlag",
    "projectApiFlag",
    "projectLegacyCallbackFlag",
    "configurationApiFlag",
    "configurationAutoChildFlag",
    "configurationChildlingFlag",
    "configurationLegacyCallbackFlag",
    "scheduleApiFlag",
    "scheduleLegacyCallbackFlag",
    "agreementApiFlag",
    "agreementCallbackLegacyFlag",
    "documentApiFlag",
];
