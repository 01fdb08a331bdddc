//! Values ConnectWise accepts for string properties the official 2025.1 file leaves untyped
//! (`ManagedDevicesIntegration.defaultBillingLevel` is `{"type": "string"}` there, while the
//! server takes only `Detail` or `Summary`): the first value of each enumeration, for the
//! generated records of [`super::values`] (A24.43). Only required and "Required On Updates"
//! properties are listed, the ones populating fills. Source: ConnectWise's published
//! enumerations as the public client pyconnectwise 0.6.1.2 models them (its `Literal` types).

/// `(schema, property, value)`.
pub(super) const KNOWN_VALUES: &[(&str, &str, &str)] = &[
    ("ActivityStopwatch", "status", "Reset"),
    ("AgreementTypeWorkRole", "rateType", "AdjAmount"),
    ("AgreementTypeWorkType", "rateType", "AdjAmount"),
    ("AgreementTypeWorkType", "billTime", "Billable"),
    ("AgreementTypeWorkType", "overageRateType", "AdjAmount"),
    ("AgreementWorkRole", "rateType", "AdjAmount"),
    ("AgreementWorkType", "rateType", "AdjAmount"),
    ("AgreementWorkType", "billTime", "Billable"),
    ("BillingCycle", "billingOptions", "BiMonthly"),
    ("BillingSetupRouting", "invoiceRule", "All"),
    ("BillingSetupRouting", "routingRule", "Account"),
    ("ConfigurationTypeQuestion", "fieldType", "TextArea"),
    ("ConfigurationTypeQuestion", "entryType", "Date"),
    ("ConnectWiseHostedSetup", "type", "Tab"),
    ("ConvertItem", "recordType", "ProjectIssue"),
    ("CorporateStructure", "fiscalYearStart", "January"),
    ("CustomReport", "module", "Companies"),
    ("ExpenseType", "billExpenses", "Billable"),
    ("ExpenseType", "invoiceMarkupOption", "Amount"),
    ("GLAccount", "glType", "AP"),
    ("ManagedDevicesIntegration", "loginBy", "Global"),
    ("ManagedDevicesIntegration", "defaultBillingLevel", "Detail"),
    ("ManagedDevicesIntegrationNotification", "logType", "All"),
    ("ManagementBackup", "billingLevel", "Detail"),
    ("ManagementItSolution", "managementItSolutionType", "LevelPlatforms"),
    ("MemberAccrual", "accrualType", "Holiday"),
    ("MemberDelegation", "delegationType", "Approval"),
    ("MemberNotificationSetting", "notificationType", "Email"),
    ("MemberNotificationSetting", "notificationTrigger", "ActivityStatusReq"),
    ("MemberSkill", "skillLevel", "Beginner"),
    ("MyAccount", "licenseClass", "A"),
    ("MyAccount", "defaultEmail", "Office"),
    ("MyAccount", "defaultPhone", "Office"),
    ("MyAccount", "companyActivityTabFormat", "SummaryList"),
    ("MyAccount", "invoiceTimeTabFormat", "SummaryList"),
    ("MyAccount", "invoiceScreenDefaultTabFormat", "ShowInvoicingTab"),
    ("MyAccount", "invoicingDisplayOptions", "RemainOnInvoicingScreen"),
    ("MyAccount", "agreementInvoicingDisplayOptions", "RemainOnInvoicingScreen"),
    ("PortalCalendar", "weekStart", "Sunday"),
    ("PortalConfigurationProjectSetup", "onlyDisplay", "DoNotDisplay"),
    ("PortalConfigurationServiceSetup", "displayClosedTicketsOption", "DoNotDisplay"),
    ("PricingBreak", "priceMethod", "FlatRateForRange"),
    ("ProcurementSetting", "costingMethod", "FIFO"),
    ("SLA", "basedOn", "AllHours"),
    ("ScheduleStopwatch", "status", "Reset"),
    ("Service", "srNotify", "All"),
    ("Service", "scheduleSpan", "Standard"),
    ("ServiceEmailTemplate", "type", "Any"),
    ("ServiceLocation", "where", "OnSite"),
    ("ServiceSurveyQuestion", "type", "OpenEnded"),
    ("SsoConfiguration", "ssoType", "CWSSO"),
    ("SurveyQuestion", "fieldType", "TextArea"),
    ("SurveyQuestion", "entryType", "Date"),
    ("TaxCodeLevel", "rateType", "Amount"),
    ("Team", "type", "Individual"),
    ("TicketStopwatch", "status", "Reset"),
    ("TicketSync", "vendorType", "Zenith"),
    ("TimeAccrualDetail", "accrualType", "Holiday"),
    ("TimePeriodSetup", "periodApplyTo", "Both"),
    ("TimePeriodSetup", "type", "Weekly"),
    ("TrackAction", "notifyType", "CreateActivity"),
    // A date the file types as a plain string.
    ("TimePeriodSetup", "firstPeriodEndDate", "2024-01-31T00:00:00Z"),
    // Optional in the file, always answered by the server (clients require it).
    ("Office365EmailSetup", "username", "sample-mailbox@example.com"),
];

/// Properties the file marks optional that ConnectWise always answers (clients require
/// them): filled like required ones (A24.43).
pub(super) const ALWAYS_ANSWERED: &[(&str, &str)] = &[("Office365EmailSetup", "username"), ("MemberSkill", "skill")];

/// Whether `schema.prop` is always answered though the file marks it optional.
pub(super) fn always_answered(schema: &str, prop: &str) -> bool {
    ALWAYS_ANSWERED.iter().any(|(s, p)| *s == schema && p.eq_ignore_ascii_case(prop))
}

/// The value ConnectWise accepts for `schema.prop`, where the official file does not say.
pub(super) fn known_value(schema: &str, prop: &str) -> Option<&'static str> {
    KNOWN_VALUES.iter().find(|(s, p, _)| *s == schema && p.eq_ignore_ascii_case(prop)).map(|(_, _, v)| *v)
}
