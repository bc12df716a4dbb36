// The error catalog: every code Ramkey answers with, its HTTP status and its public message.
//
// Codes are part of the wire protocol: the official SDKs and users' scripts match on them.
// NEVER rename or reuse a code. Add new ones; retire old ones by leaving them here unused.
// Codes follow Alibaba Cloud's own (reference/alibaba-api.md sections 1.4 and 4.4); a Ramkey-only
// condition gets a code in the same dotted style. `{0}`, `{1}` in a message are filled with the
// parameters the RamkeyError carries (parameter names, never values that could be secret).

export interface CatalogEntry {
  readonly httpStatus: number;
  readonly message: string;
  readonly retryable: boolean;
  /** A hint for the caller, rendered as `Recommend` when present. */
  readonly recommend?: string;
}

export const catalog = {
  // Request shape
  MissingParameter: {
    httpStatus: 400,
    message: 'The input parameter "{0}" that is mandatory for processing this request is not supplied.',
    retryable: false,
  },
  InvalidParameter: {
    httpStatus: 400,
    message: 'The specified parameter "{0}" is not valid.',
    retryable: false,
  },
  'InvalidParameter.Duplicate': {
    httpStatus: 400,
    message: 'The parameter "{0}" is given more than once.',
    retryable: false,
  },
  'InvalidParameter.Password': {
    httpStatus: 400,
    message: 'The password does not satisfy the password policy: {0}.',
    retryable: false,
  },
  'InvalidParameter.OldPassword': {
    httpStatus: 400,
    message: 'The old password is not correct.',
    retryable: false,
  },
  'NotSupported.RootPassword': {
    httpStatus: 400,
    message:
      'ChangePassword changes the console password of the calling RAM user; the root identity has none here.',
    retryable: false,
  },
  'InvalidParameter.Encoding': {
    httpStatus: 400,
    message: 'The request is not valid UTF-8 or is not correctly percent-encoded.',
    retryable: false,
  },
  'InvalidParameter.TooLong': {
    httpStatus: 400,
    message: 'The parameter "{0}" is longer than {1} characters.',
    retryable: false,
  },
  'InvalidParameter.TooMany': {
    httpStatus: 400,
    message: 'The request carries more than {0} parameters.',
    retryable: false,
  },
  'InvalidParameter.Format': {
    httpStatus: 400,
    message: 'The specified Format "{0}" is not supported; use JSON or XML.',
    retryable: false,
  },
  'InvalidParameter.UserName.InvalidChars': {
    httpStatus: 400,
    message: 'The parameter - "UserName" contains invalid chars.',
    retryable: false,
  },
  'InvalidParameter.UserName.Length': {
    httpStatus: 400,
    message: 'The parameter - "UserName" beyond the length limit.',
    retryable: false,
  },
  'InvalidParameter.NewUserName.InvalidChars': {
    httpStatus: 400,
    message: 'The parameter - "NewUserName" contains invalid chars.',
    retryable: false,
  },
  'InvalidParameter.NewUserName.Length': {
    httpStatus: 400,
    message: 'The parameter - "NewUserName" beyond the length limit.',
    retryable: false,
  },
  'InvalidParameter.DisplayName.InvalidChars': {
    httpStatus: 400,
    message: 'The parameter - "DisplayName" contains invalid chars.',
    retryable: false,
  },
  'InvalidParameter.DisplayName.Length': {
    httpStatus: 400,
    message: 'The parameter - "DisplayName" beyond the length limit.',
    retryable: false,
  },
  'InvalidParameter.NewDisplayName.InvalidChars': {
    httpStatus: 400,
    message: 'The parameter - "NewDisplayName" contains invalid chars.',
    retryable: false,
  },
  'InvalidParameter.NewDisplayName.Length': {
    httpStatus: 400,
    message: 'The parameter - "NewDisplayName" beyond the length limit.',
    retryable: false,
  },
  'InvalidParameter.Comments.Length': {
    httpStatus: 400,
    message: 'The parameter - "Comments" beyond the length limit.',
    retryable: false,
  },
  'InvalidParameter.NewComments.Length': {
    httpStatus: 400,
    message: 'The parameter - "NewComments" beyond the length limit.',
    retryable: false,
  },
  'InvalidParameter.Email.Format': {
    httpStatus: 400,
    message: 'The format of the parameter - "Email" is incorrect.',
    retryable: false,
  },
  'InvalidParameter.NewEmail.Format': {
    httpStatus: 400,
    message: 'The format of the parameter - "NewEmail" is incorrect.',
    retryable: false,
  },
  'InvalidParameter.MobilePhone.Format': {
    httpStatus: 400,
    message: 'The format of the parameter - "MobilePhone" is incorrect.',
    retryable: false,
  },
  'InvalidParameter.NewMobilePhone.Format': {
    httpStatus: 400,
    message: 'The format of the parameter - "NewMobilePhone" is incorrect.',
    retryable: false,
  },
  'InvalidParameter.UserPrincipalName.Format': {
    httpStatus: 400,
    message: 'The format of the parameter - "UserPrincipalName" is incorrect.',
    retryable: false,
  },
  'InvalidParameter.UserAccessKeyId.Format': {
    httpStatus: 400,
    message: 'The format of the parameter - "UserAccessKeyId" is incorrect.',
    retryable: false,
  },
  'InvalidParameter.UserId.Format': {
    httpStatus: 400,
    message: 'The format of the parameter - "UserId" is incorrect.',
    retryable: false,
  },
  'InvalidParameter.Filter': {
    httpStatus: 400,
    message: 'The parameter - "Filter" must be "UserPrincipalName eq <name>@<accountId>.onaliyun.com".',
    retryable: false,
  },
  'InvalidParameter.Exclusive': {
    httpStatus: 400,
    message: 'Specify only one of the parameters "{0}" and "{1}".',
    retryable: false,
  },
  'InvalidParameter.Status': {
    httpStatus: 400,
    message: 'The parameter - "Status" must be Active or Inactive.',
    retryable: false,
  },
  'InvalidParameter.MaxItems': {
    httpStatus: 400,
    message: 'The parameter - "MaxItems" must be an integer from 1 to 1000.',
    retryable: false,
  },
  'InvalidParameter.Marker': {
    httpStatus: 400,
    message: 'The parameter - "Marker" is not a marker returned by a previous call.',
    retryable: false,
  },
  'InvalidParameter.NextToken': {
    httpStatus: 400,
    message: 'The specified NextToken is not valid.',
    retryable: false,
    recommend: 'Pass back the NextToken of the previous page unchanged, or omit it to start again.',
  },
  'InvalidParameter.CredentialReport.MaxItems': {
    httpStatus: 400,
    message: 'The parameter - "MaxItems" must be an integer from 1 to 3501.',
    retryable: false,
  },
  'InvalidParameter.Body.TooLarge': {
    httpStatus: 413,
    message: 'The request body is larger than {0} bytes.',
    retryable: false,
  },
  'InvalidParameter.ContentType': {
    httpStatus: 415,
    message: 'The request body must be application/x-www-form-urlencoded (or empty).',
    retryable: false,
  },
  'InvalidParameter.GroupName.InvalidChars': {
    httpStatus: 400,
    message: 'The parameter - "GroupName" contains invalid chars.',
    retryable: false,
  },
  'InvalidParameter.GroupName.Length': {
    httpStatus: 400,
    message: 'The parameter - "GroupName" beyond the length limit.',
    retryable: false,
  },
  'InvalidParameter.NewGroupName.InvalidChars': {
    httpStatus: 400,
    message: 'The parameter - "NewGroupName" contains invalid chars.',
    retryable: false,
  },
  'InvalidParameter.NewGroupName.Length': {
    httpStatus: 400,
    message: 'The parameter - "NewGroupName" beyond the length limit.',
    retryable: false,
  },
  'InvalidParameter.PolicyName.InvalidChars': {
    httpStatus: 400,
    message: 'The parameter - "PolicyName" contains invalid chars.',
    retryable: false,
  },
  'InvalidParameter.PolicyName.Length': {
    httpStatus: 400,
    message: 'The parameter - "PolicyName" beyond the length limit.',
    retryable: false,
  },
  'InvalidParameter.PolicyDocument.Length': {
    httpStatus: 400,
    message: 'The parameter - "PolicyDocument" beyond the length limit.',
    retryable: false,
  },
  'InvalidParameter.Description.Length': {
    httpStatus: 400,
    message: 'The parameter - "Description" beyond the length limit.',
    retryable: false,
  },
  'InvalidParameter.NewDescription.Length': {
    httpStatus: 400,
    message: 'The parameter - "NewDescription" beyond the length limit.',
    retryable: false,
  },
  'InvalidParameter.PolicyType': {
    httpStatus: 400,
    message: 'The parameter - "PolicyType" must be System or Custom.',
    retryable: false,
  },
  'InvalidParameter.VersionId.Format': {
    httpStatus: 400,
    message: 'The format of the parameter - "VersionId" is incorrect.',
    retryable: false,
  },
  'InvalidParameter.RotateStrategy': {
    httpStatus: 400,
    message:
      'The parameter - "RotateStrategy" must be None or DeleteOldestNonDefaultVersionWhenLimitExceeded.',
    retryable: false,
  },
  'InvalidParameter.LoginNetworkMasks': {
    httpStatus: 400,
    message: 'The parameter - "LoginNetworkMasks" is not valid: {0}.',
    retryable: false,
  },
  'InvalidParameter.LoginSessionDuration': {
    httpStatus: 400,
    message: 'The parameter - "LoginSessionDuration" MUST be an integer in the range of 1 and 24.',
    retryable: false,
  },
  'InvalidParameter.MFAOperationForLogin': {
    httpStatus: 400,
    message: 'The parameter - "MFAOperationForLogin" MUST be one of mandatory, independent, adaptive.',
    retryable: false,
  },
  'InvalidParameter.Boolean': {
    httpStatus: 400,
    message: 'The parameter - "{0}" must be true or false.',
    retryable: false,
  },
  MalformedPolicyDocument: {
    httpStatus: 400,
    message: 'The policy document is malformed: {0}',
    retryable: false,
  },
  // Custom services (RAM CreateService and friends, Ramkey extensions): a platform team's own API,
  // described by a service document (src/core/service-definition).
  'InvalidParameter.ServiceName.Format': {
    httpStatus: 400,
    message:
      'The parameter - "ServiceName" must be 2-32 lower-case letters, digits and "-", starting with a letter.',
    retryable: false,
  },
  'InvalidParameter.ServiceName.Reserved': {
    httpStatus: 400,
    message: 'The service name "{0}" is reserved for Ramkey (ram, ims, sts, actiontrail, acs, ramkey).',
    retryable: false,
  },
  'InvalidParameter.ServiceDocument.Length': {
    httpStatus: 400,
    message: 'The service document is empty or longer than {0} characters.',
    retryable: false,
  },
  MalformedServiceDocument: {
    httpStatus: 400,
    message: 'The service document is malformed: {0}',
    retryable: false,
  },
  'EntityNotExist.Service': {
    httpStatus: 404,
    message: 'The service does not exist.',
    retryable: false,
  },
  'EntityAlreadyExists.Service': {
    httpStatus: 409,
    message: 'The service does already EXIST.',
    retryable: false,
  },
  'EntityAlreadyExists.Service.Route': {
    httpStatus: 409,
    message:
      'The service "{0}" already claims the host "{1}" with the path prefix "{2}" ("" is any): a request there would match both.',
    retryable: false,
    recommend: 'Give each service of an account (or each global service) its own hosts or path prefixes.',
  },
  'LimitExceeded.Service': {
    httpStatus: 409,
    message: 'The count of services beyond the current limits.',
    retryable: false,
  },
  'InvalidParameter.ServiceName.Global': {
    httpStatus: 400,
    message:
      'The service "{0}" is a global service of the installation: only its operator can change it (ramkey global-services).',
    retryable: false,
  },
  // Network access restriction policies (IMS SetAccessKeyPolicy and friends). Alibaba's own codes
  // for a malformed AccessKeyPolicy are undocumented (reference/alibaba-api.md 2.2): these name the
  // part at fault, and the message names the bad entry.
  'InvalidParameter.AccessKeyPolicy.Format': {
    httpStatus: 400,
    message: 'The parameter "AccessKeyPolicy" is not a valid policy: {0}',
    retryable: false,
  },
  'InvalidParameter.AccessKeyPolicy.Version': {
    httpStatus: 400,
    message: 'The AccessKeyPolicy "Version" must be 1.',
    retryable: false,
  },
  'InvalidParameter.AccessKeyPolicy.Status': {
    httpStatus: 400,
    message: 'The AccessKeyPolicy "Status" must be Active, Inactive or Audit.',
    retryable: false,
  },
  'InvalidParameter.AccessKeyPolicy.Statements': {
    httpStatus: 400,
    message: 'The AccessKeyPolicy "Statements" is not valid: {0}',
    retryable: false,
  },
  'InvalidParameter.AccessKeyPolicy.Type': {
    httpStatus: 400,
    message: 'The AccessKeyPolicy rule {0} has an unsupported Type {1}; use ClassicWhiteList.',
    retryable: false,
  },
  'InvalidParameter.AccessKeyPolicy.VPCWhiteList': {
    httpStatus: 400,
    message:
      'The AccessKeyPolicy rule {0} is a VPCWhiteList: Ramkey has no VPCs, so only ClassicWhiteList rules (source addresses) apply.',
    retryable: false,
  },
  'InvalidParameter.AccessKeyPolicy.IPList': {
    httpStatus: 400,
    message: 'The AccessKeyPolicy rule {0} has an invalid IPList: {1}',
    retryable: false,
  },
  'AccessKeyPolicy.SelfLockout': {
    httpStatus: 409,
    message:
      "The AccessKeyPolicy would deny this call's own source address {0}, locking this AccessKey out; send AcceptSelfLockout=true to set it anyway.",
    retryable: false,
    recommend:
      'Add the address you call from to the policy, set it with Status Audit first, or set it from an allowed address.',
  },
  'InvalidAction.NotFound': {
    httpStatus: 404,
    message: 'Specified api is not found, please check your url and method.',
    retryable: false,
  },
  InvalidVersion: {
    httpStatus: 400,
    message: 'Specified parameter Version is not valid.',
    retryable: false,
  },

  // Authentication (the gate)
  IncompleteSignature: {
    httpStatus: 400,
    message: 'The request signature does not conform to Aliyun standards. {0}',
    retryable: false,
  },
  SignatureDoesNotMatch: {
    httpStatus: 400,
    message: 'Specified signature is not matched with our calculation. server string to sign is:{0}',
    retryable: false,
  },
  'InvalidTimeStamp.Expired': {
    httpStatus: 400,
    message: 'Specified time stamp or date value is expired.',
    retryable: false,
  },
  'InvalidTimeStamp.Format': {
    httpStatus: 400,
    message: 'Specified time stamp or date value is not well formatted.',
    retryable: false,
  },
  SignatureNonceUsed: {
    httpStatus: 400,
    message: 'Specified signature nonce was used already.',
    retryable: false,
  },
  'InvalidAccessKeyId.NotFound': {
    httpStatus: 404,
    message: 'Specified access key is not found.',
    retryable: false,
  },
  'InvalidAccessKeyId.Inactive': {
    httpStatus: 400,
    message: 'Specified access key is disabled.',
    retryable: false,
  },
  'InvalidAccessKeyId.AccessPolicyDenied': {
    httpStatus: 400,
    message: 'Specified access key denied due to access policy.',
    retryable: false,
  },

  // Authorization
  NoPermission: {
    httpStatus: 403,
    message: 'You are not authorized to do this action.',
    retryable: false,
    recommend: 'Ask an administrator of the account to grant the action to this RAM user.',
  },

  // Leak response
  Forbidden: {
    httpStatus: 403,
    message: 'There is a risk of leakage of this AccessKey.',
    retryable: false,
    recommend:
      'The key is restricted as suspected leaked and stays so: create a new AccessKey, move the application to it, then disable and delete this one.',
  },

  // Forward authentication (a gateway asks whether to let a request to the platform's own API through)
  'Forbidden.NotGateway': {
    httpStatus: 403,
    message: 'Forward authentication answers configured gateways only.',
    retryable: false,
    recommend: "Add the gateway's address to RAMKEY_GATEWAYS (addresses or CIDRs) on the Ramkey server.",
  },
  'InvalidLeakReport.Signature': {
    httpStatus: 401,
    message:
      'The leak report is not signed by a registered reporter (X-Ramkey-Reporter, X-Ramkey-Signature).',
    retryable: false,
  },
  'InvalidLeakReport.TimeStamp': {
    httpStatus: 400,
    message:
      'The leak report has no X-Ramkey-Timestamp (Unix seconds) or it is more than 5 minutes from the server time.',
    retryable: false,
  },
  'InvalidLeakReport.Replayed': {
    httpStatus: 400,
    message: 'This signed leak report was already received.',
    retryable: false,
  },
  'InvalidLeakReport.Body': {
    httpStatus: 400,
    message: 'The leak report must be a JSON array of at most {0} objects, each with a string "token".',
    retryable: false,
  },
  'InvalidParameter.ReporterName': {
    httpStatus: 400,
    message:
      'A reporter name is 1-64 characters: letters, digits, ".", "_" and "-", starting with a letter or digit.',
    retryable: false,
  },
  'EntityAlreadyExists.LeakReporter': {
    httpStatus: 409,
    message: 'A leak reporter of that name already exists.',
    retryable: false,
  },
  'EntityNotExist.LeakReporter': {
    httpStatus: 404,
    message: 'The leak reporter does not exist.',
    retryable: false,
  },
  'InvalidParameter.WebhookUrl': {
    httpStatus: 400,
    message:
      'The webhook URL must be an absolute http or https URL of at most 1024 characters, without credentials.',
    retryable: false,
  },
  'EntityNotExist.NotificationWebhook': {
    httpStatus: 404,
    message: 'The account has no notification webhook.',
    retryable: false,
  },

  // Resource directory
  'EntityNotExist.Account': { httpStatus: 404, message: 'The account does not exist.', retryable: false },
  'EntityAlreadyExists.ResourceDirectory': {
    httpStatus: 409,
    message: 'The account is already in a resource directory.',
    retryable: false,
  },
  'EntityNotExist.ResourceDirectory': {
    httpStatus: 404,
    message: 'The account is not the management account of a resource directory.',
    retryable: false,
  },
  'InvalidParameter.DirectoryMember': {
    httpStatus: 400,
    message: 'The account is already in a resource directory, or is not a member of this one.',
    retryable: false,
  },
  'InvalidParameter.MemberAccountId': {
    httpStatus: 400,
    message: 'MemberAccountId is not an account of your resource directory.',
    retryable: false,
  },

  // Entities
  'EntityNotExist.User': { httpStatus: 404, message: 'The user does not exist.', retryable: false },
  'EntityNotExist.User.AccessKey': {
    httpStatus: 404,
    message: 'The user access key does not exist.',
    retryable: false,
  },
  'EntityAlreadyExists.User': { httpStatus: 409, message: 'The user does already EXIST.', retryable: false },
  'EntityAlreadyExists.User.LoginProfile': {
    httpStatus: 409,
    message: 'The login profile of the user does already EXIST.',
    retryable: false,
  },
  'EntityNotExist.User.LoginProfile': {
    httpStatus: 404,
    message: 'The login profile of the user does not exist.',
    retryable: false,
  },
  'DeleteConflict.User.AccessKey': {
    httpStatus: 409,
    message: 'The user CAN NOT has any access key while deleting the user.',
    retryable: false,
  },
  'LimitExceeded.User': {
    httpStatus: 409,
    message: 'The count of users beyond the current limits.',
    retryable: false,
  },
  'LimitExceeded.User.AccessKey': {
    httpStatus: 409,
    message: 'The access key count of the user access keys beyond the current limits.',
    retryable: false,
  },

  'EntityNotExist.Group': {
    httpStatus: 404,
    message: 'The group does not exist.',
    retryable: false,
  },
  'EntityNotExist.Policy': {
    httpStatus: 404,
    message: 'The policy does not exist.',
    retryable: false,
  },
  'EntityNotExist.Policy.Version': {
    httpStatus: 404,
    message: 'The policy version does not exist.',
    retryable: false,
  },
  'EntityNotExist.User.Group': {
    httpStatus: 404,
    message: 'The user is not a member of the group.',
    retryable: false,
  },
  'EntityNotExist.User.Policy': {
    httpStatus: 404,
    message: 'The policy is not attached to the user.',
    retryable: false,
  },
  'EntityNotExist.Group.Policy': {
    httpStatus: 404,
    message: 'The policy is not attached to the group.',
    retryable: false,
  },
  'EntityNotExist.CredentialReport': {
    httpStatus: 404,
    message: 'The credential report does not exist. Call GenerateCredentialReport first.',
    retryable: false,
  },
  'EntityAlreadyExists.Group': {
    httpStatus: 409,
    message: 'The group does already EXIST.',
    retryable: false,
  },
  'EntityAlreadyExists.Policy': {
    httpStatus: 409,
    message: 'The policy does already EXIST.',
    retryable: false,
  },
  'EntityAlreadyExists.User.Group': {
    httpStatus: 409,
    message: 'The user is already a member of the group.',
    retryable: false,
  },
  'EntityAlreadyExists.User.Policy': {
    httpStatus: 409,
    message: 'The policy is already attached to the user.',
    retryable: false,
  },
  'EntityAlreadyExists.Group.Policy': {
    httpStatus: 409,
    message: 'The policy is already attached to the group.',
    retryable: false,
  },
  'DeleteConflict.User.Group': {
    httpStatus: 409,
    message: 'The user CAN NOT be in any group while deleting the user.',
    retryable: false,
  },
  'DeleteConflict.User.MFADevice': {
    httpStatus: 409,
    message: 'The user CAN NOT has any mfa device while deleting the user.',
    retryable: false,
  },
  'DeleteConflict.VirtualMFADevice.User': {
    httpStatus: 409,
    message: 'The virtual mfa device CAN NOT been bound to any user while deleting it.',
    retryable: false,
  },
  'EntityAlreadyExists.VirtualMFADevice': {
    httpStatus: 409,
    message: 'The virtual mfa device does already EXIST.',
    retryable: false,
  },
  'EntityAlreadyExists.VirtualMFADevice.User': {
    httpStatus: 409,
    message: 'The virtual mfa device does already been bound to a user.',
    retryable: false,
  },
  'EntityAlreadyExists.User.MFADevice': {
    httpStatus: 409,
    message: 'The user has already bound a MFA device.',
    retryable: false,
  },
  'LimitExceeded.VirtualMFADevice': {
    httpStatus: 409,
    message: 'The count of virtual mfa devices beyond the current limits.',
    retryable: false,
  },
  'EntityNotExist.VirtualMFADevice': {
    httpStatus: 404,
    message: 'The virtual mfa device does not exist.',
    retryable: false,
  },
  'EntityNotExist.User.MFADevice': {
    httpStatus: 404,
    message: 'The user has not bound any MFA device.',
    retryable: false,
  },
  CheckAuthenticationCodeFail: {
    httpStatus: 403,
    message: 'The parameter - "AuthenticationCode" is inccorrect.',
    retryable: false,
  },
  'InvalidParameter.AuthenticationCode.Format': {
    httpStatus: 400,
    message: 'The parameter - "{0}" MUST be 6 numbers.',
    retryable: false,
  },
  'InvalidParameter.VirtualMFADeviceName.InvalidChars': {
    httpStatus: 400,
    message: 'The parameter - "VirtualMFADeviceName" contains invalid chars.',
    retryable: false,
  },
  'InvalidParameter.VirtualMFADeviceName.Length': {
    httpStatus: 400,
    message: 'The parameter - "VirtualMFADeviceName" beyond the length limit.',
    retryable: false,
  },
  'Forbidden.ChangePassword': {
    httpStatus: 403,
    message:
      'RAM users may not change their own password: AllowUserToChangePassword is false in the security preference.',
    retryable: false,
  },
  'DeleteConflict.User.Policy': {
    httpStatus: 409,
    message: 'The user CAN NOT have any attached policy while deleting the user.',
    retryable: false,
  },
  'DeleteConflict.Group.User': {
    httpStatus: 409,
    message: 'The group CAN NOT have any user member while deleting the group.',
    retryable: false,
  },
  'DeleteConflict.Group.Policy': {
    httpStatus: 409,
    message: 'The group CAN NOT have any attached policy while deleting the group.',
    retryable: false,
  },
  'DeleteConflict.Policy.User': {
    httpStatus: 409,
    message: 'The policy CAN NOT be attached to any user while deleting the policy.',
    retryable: false,
  },
  'DeleteConflict.Policy.Group': {
    httpStatus: 409,
    message: 'The policy CAN NOT be attached to any group while deleting the policy.',
    retryable: false,
  },
  'DeleteConflict.Policy.Version': {
    httpStatus: 409,
    message: 'The policy CAN NOT have any non-default version while deleting the policy.',
    retryable: false,
  },
  'DeleteConflict.Policy.Version.Default': {
    httpStatus: 409,
    message: 'The default version of a policy CAN NOT be deleted.',
    retryable: false,
  },
  'LimitExceeded.Group': {
    httpStatus: 409,
    message: 'The count of groups beyond the current limits.',
    retryable: false,
  },
  'LimitExceeded.Group.Policy': {
    httpStatus: 409,
    message: 'The count of policies attached to the group beyond the current limits.',
    retryable: false,
  },
  'LimitExceeded.Policy': {
    httpStatus: 409,
    message: 'The count of policies beyond the current limits.',
    retryable: false,
  },
  'LimitExceeded.Policy.Version': {
    httpStatus: 409,
    message: 'The count of versions of the policy beyond the current limits.',
    retryable: false,
  },
  'LimitExceeded.User.Group': {
    httpStatus: 409,
    message: 'The count of groups of the user beyond the current limits.',
    retryable: false,
  },
  'LimitExceeded.User.Policy': {
    httpStatus: 409,
    message: 'The count of policies attached to the user beyond the current limits.',
    retryable: false,
  },

  // Flow control: a source whose calls keep failing to authenticate, or a server whose audit trail
  // cannot keep up (it slows callers down rather than lose an event).
  // Console sign-in and sessions
  ConsoleSessionRequired: {
    httpStatus: 401,
    message: 'Sign in to the console first: there is no session, or it ended or was idle for too long.',
    retryable: false,
  },
  InvalidCsrfToken: {
    httpStatus: 403,
    message:
      "The request did not carry the console session's CSRF token (X-Ramkey-Csrf), or came from another site.",
    retryable: false,
  },
  'InvalidParameter.SigninWithAccessKey': {
    httpStatus: 400,
    message:
      'AccessKeys are for programs, not for signing in: sign in with your login name and console password, and keep the AccessKey secret out of forms.',
    retryable: false,
  },
  SigninFailed: {
    httpStatus: 401,
    message: 'The login name or the password is not correct.',
    retryable: false,
  },
  MFACodeRequired: {
    httpStatus: 401,
    message: 'Enter the 6-digit code your MFA device shows.',
    retryable: false,
  },
  InvalidMFACode: {
    httpStatus: 401,
    message: 'The MFA code is not correct, or it was used already: wait for the next one.',
    retryable: false,
  },
  MFADeviceRequired: {
    httpStatus: 403,
    message:
      'Signing in requires an MFA device and none is bound to this user: ask an administrator to bind one (BindMFADevice).',
    retryable: false,
  },
  SigninLocked: {
    httpStatus: 429,
    message: 'Too many failed sign-ins for this login name: try again in {0} minutes.',
    retryable: true,
  },
  'Forbidden.LoginNetworkMask': {
    httpStatus: 403,
    message:
      'Console sign-in is not allowed from {0}: the account allows it from its LoginNetworkMasks only.',
    retryable: false,
  },
  PasswordExpired: {
    httpStatus: 403,
    message:
      'The password is older than the password policy allows (MaxPasswordAge with HardExpiry): an administrator must set a new one (UpdateLoginProfile).',
    retryable: false,
  },
  Throttling: {
    httpStatus: 503,
    message: 'Request was denied due to request throttling.',
    retryable: true,
    recommend:
      'Retry later, more slowly; check the AccessKey and its secret if your calls were refused before.',
  },
  // Server side
  InternalError: { httpStatus: 500, message: 'An internal error occurred.', retryable: true },
  ServiceUnavailable: {
    httpStatus: 503,
    message: 'The request has failed due to a temporary failure of the server.',
    retryable: true,
  },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof catalog;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(catalog, value);
}

/** Fills `{0}`, `{1}` placeholders of a catalog message with the given parameters. */
export function formatMessage(code: ErrorCode, params: readonly string[] = []): string {
  return catalog[code].message.replace(/\{(\d)\}/g, (_m, i: string) => params[Number(i)] ?? '').trimEnd();
}

export function catalogEntry(code: ErrorCode): CatalogEntry {
  return catalog[code];
}
