// Turns the service's stable error codes into Chinese sentences a person can act on.

const BY_CODE = {
  network: '无法连接到服务。请检查网络连接或确认服务已启动，然后重试。',
  route_missing: '服务端尚未提供此功能。请在服务升级后再试。',
  missing_token: '请先登录：此操作需要访问令牌。',
  invalid_token: '访问令牌无效或已被吊销，请向管理部门索取新的令牌后重新登录。',
  unauthorized: '访问令牌无效或已被吊销，请重新登录。',
  forbidden: '当前角色无权执行此操作。',
  not_found: '未找到该记录，它可能已被删除或编号有误。',
  already_exists: '相同编号的记录已经存在，请更换编号后再保存。',
  conflict: '该记录已被其他人修改。请重新加载页面查看最新内容后再操作。',
  version_conflict: '其他人刚刚修改了这条配对，您看到的已不是最新版本，本次操作未生效。请重新加载后再审核。',
  stale_version: '其他人刚刚修改了这条配对，您看到的已不是最新版本，本次操作未生效。请重新加载后再审核。',
  invalid_transition: '这条配对当前的状态不允许此操作。请重新加载查看最新状态。',
  comment_required: '驳回或要求修改时必须填写审核意见。',
  payload_too_large: '提交的内容过大（超过 1 MiB），请精简后重试。',
  body_too_large: '提交的内容过大（超过 1 MiB），请精简后重试。',
  validation: '填写的内容不符合数据规范，请按字段旁的提示修改。',
  validation_failed: '填写的内容不符合数据规范，请按字段旁的提示修改。',
  invalid_field: '填写的内容不符合数据规范，请按字段旁的提示修改。',
  contract_violation: '填写的内容不符合数据规范，请按字段旁的提示修改。',
  unprocessable_entity: '填写的内容不符合数据规范，请按字段旁的提示修改。',
  dangling_reference: '填写的编号引用了不存在的记录（如赛道、园区或高校），请检查后再保存。',
  invalid_json: '请求内容格式有误，服务无法解析。请刷新页面后重试。',
  malformed_json: '请求内容格式有误，服务无法解析。请刷新页面后重试。',
  bad_request: '请求参数有误，请检查输入后重试。',
  invalid_query: '查询参数有误，请检查输入后重试。',
  invalid_parameter: '查询参数有误，请检查输入后重试。',
  unknown_track: '所选赛道不存在，请重新选择。',
  unknown_status: '所选状态不存在，请重新选择。',
  invalid_role: '角色格式不正确。',
  timeout: '服务处理超时，请稍后重试。',
  request_timeout: '服务处理超时，请稍后重试。',
  overloaded: '服务当前繁忙，请稍后重试。',
  too_many_requests: '服务当前繁忙，请稍后重试。',
  service_unavailable: '服务暂时不可用，请稍后重试。',
  not_ready: '服务正在启动（加载数据、索引和模型），请稍后重试。',
  internal: '服务内部出错，错误已记录。请稍后重试，或联系系统管理员。',
  internal_error: '服务内部出错，错误已记录。请稍后重试，或联系系统管理员。',
  job_failed: '方案计算失败。请调整约束条件后重新发起。',
  infeasible: '在当前约束条件下找不到满足要求的配对方案。请放宽约束后重试。',
};

const BY_STATUS = {
  0: BY_CODE.network,
  400: BY_CODE.bad_request,
  401: BY_CODE.unauthorized,
  403: BY_CODE.forbidden,
  404: BY_CODE.not_found,
  405: BY_CODE.route_missing,
  408: BY_CODE.timeout,
  409: BY_CODE.conflict,
  413: BY_CODE.payload_too_large,
  422: BY_CODE.validation,
  429: BY_CODE.too_many_requests,
  500: BY_CODE.internal,
  501: BY_CODE.route_missing,
  502: BY_CODE.service_unavailable,
  503: BY_CODE.service_unavailable,
  504: BY_CODE.timeout,
};

/** One Chinese sentence for an error of any kind. */
export function sentence(error) {
  if (!error) return '';
  if (error.code && BY_CODE[error.code]) return BY_CODE[error.code];
  if (error.status !== undefined && BY_STATUS[error.status]) return BY_STATUS[error.status];
  if (error.status >= 500) return BY_CODE.internal;
  return '操作未能完成，请稍后重试。';
}

/** Chinese names of form fields, used when the service reports a field we do not show. */
export const FIELD_NAMES = {
  id: '编号',
  title: '需求标题',
  name: '名称',
  description: '描述',
  keywords: '关键词',
  track_ids: '所属赛道',
  budget_wan_yuan: '预算',
  deadline: '截止日期',
  enterprise: '企业',
  'enterprise.name': '企业名称',
  'enterprise.size': '企业规模',
  zone_id: '园区',
  university_id: '高校',
  leader: '领军人才',
  'leader.name': '负责人姓名',
  'leader.title': '负责人职称',
  'leader.honors': '负责人荣誉',
  fields: '研究领域',
  capacity: '可承接项目数',
  members: '团队人数',
  achievements: '代表性成果',
  platforms: '平台',
  excluded_university_ids: '回避高校',
  comment: '审核意见',
};
