/**
 * Words of the township doctor's safety and input help (issue 20): the image check at the door
 * (a study whose DICOM header names another patient) and the national ID that fills sex and birth
 * date. Chinese first; the English dictionary is typed by it.
 */
export const townshipZh = {
  'patientMatch.title': '影像中的患者信息与本会诊患者不一致',
  'patientMatch.intro':
    '以下影像的 DICOM 信息与所选患者不符。请先核对是否传错了影像；确属同一患者（如曾用名、外院编号）时，填写原因后确认添加。',
  'patientMatch.study': '影像检查 {uid}',
  'patientMatch.field': '项目',
  'patientMatch.registered': '登记的患者',
  'patientMatch.header': '影像中的信息',
  'patientMatch.verdict': '比对',
  'patientMatch.field.name': '姓名',
  'patientMatch.field.id': '身份证号/病历号',
  'patientMatch.field.sex': '性别',
  'patientMatch.field.birthDate': '出生日期',
  'patientMatch.verdict.match': '一致',
  'patientMatch.verdict.mismatch': '不一致',
  'patientMatch.verdict.unknown': '无法比对',
  'patientMatch.missing': '（空）',
  'patientMatch.reason': '确认原因（将记录在审计日志中）',
  'patientMatch.reasonPlaceholder': '例如：外院检查，影像系统中登记的是患者曾用名',
  'patientMatch.reasonRequired': '请填写至少 2 个字的原因',
  'patientMatch.confirm': '确认是同一患者并添加',
  'patientMatch.back': '返回检查影像',
  'patient.nationalIdChecksum': '身份证号校验不通过，请核对每一位',
  'patient.filledFromNationalId': '已根据身份证号填写性别和出生日期',
  'patient.nationalIdHint': '填写身份证号后自动识别性别和出生日期',
  'shell.menu': '菜单',
  'book.onlyBookable': '仅列出可预约的视频会诊申请：影像会诊以报告答复，无需预约；草稿请先提交',
  'error.invalidFields': '以下内容填写有误，请检查后重试：{fields}',
  'error.badRequest': '提交的内容有误，请检查后重试',
  'error.conflict': '内容已被他人修改或状态已变化，请刷新后重试',
  'error.tooLarge': '内容过大，请缩小后重试',
  'error.server': '服务器暂时出错，请稍后重试；如持续出现请联系管理员',
  'upload.refused.unparseable': '文件不完整或不是有效的 DICOM 文件，请从设备重新导出后上传',
  'upload.refused.inconsistent': 'DICOM 文件内容与其类型不符，请从设备重新导出后上传',
  'upload.refused.storage': '影像归档暂时无法保存，请稍后点重试',
  'upload.refused.duplicate': '该影像已存在且内容不同，请联系管理员',
  'upload.refused.forbidden': '您没有权限上传到此处',
  'upload.refused.transferSyntax': '不支持该影像的压缩格式，请在设备上以未压缩格式导出',
  'upload.refused.other': '影像未能保存，请重试；如持续出现请联系管理员',
};

export const townshipEn: Record<keyof typeof townshipZh, string> = {
  'patientMatch.title': 'The images name another patient',
  'patientMatch.intro':
    'The DICOM header of these images does not match the chosen patient. Check that the right images were uploaded; if it is the same person (a former name, another hospital’s number), say why and confirm.',
  'patientMatch.study': 'Study {uid}',
  'patientMatch.field': 'Field',
  'patientMatch.registered': 'Registered patient',
  'patientMatch.header': 'In the images',
  'patientMatch.verdict': 'Comparison',
  'patientMatch.field.name': 'Name',
  'patientMatch.field.id': 'National ID / record number',
  'patientMatch.field.sex': 'Sex',
  'patientMatch.field.birthDate': 'Date of birth',
  'patientMatch.verdict.match': 'Same',
  'patientMatch.verdict.mismatch': 'Different',
  'patientMatch.verdict.unknown': 'Cannot compare',
  'patientMatch.missing': '(empty)',
  'patientMatch.reason': 'Reason (recorded in the audit trail)',
  'patientMatch.reasonPlaceholder': 'e.g. examined elsewhere, registered there under a former name',
  'patientMatch.reasonRequired': 'Give a reason of at least 2 characters',
  'patientMatch.confirm': 'Same patient: attach',
  'patientMatch.back': 'Back to the images',
  'patient.nationalIdChecksum': 'This national ID fails its check digit: check each digit',
  'patient.filledFromNationalId': 'Sex and date of birth filled from the national ID',
  'patient.nationalIdHint': 'Sex and date of birth are read from the national ID',
  'shell.menu': 'Menu',
  'book.onlyBookable':
    'Only live requests that can be booked are listed: an imaging read is answered by a report and takes no slot; submit a draft first',
  'error.invalidFields': 'Some fields are not valid; check them and try again: {fields}',
  'error.badRequest': 'The request is not valid; check what you entered and try again',
  'error.conflict': 'Someone changed this meanwhile; reload and try again',
  'error.tooLarge': 'This is too large; make it smaller and try again',
  'error.server': 'The server failed; try again later, and tell the administrator if it persists',
  'upload.refused.unparseable':
    'The file is incomplete or not DICOM: export it again from the device',
  'upload.refused.inconsistent':
    'The DICOM file contradicts its own type: export it again from the device',
  'upload.refused.storage': 'The archive could not store it now: retry in a moment',
  'upload.refused.duplicate':
    'A different copy of this image is already stored: tell the administrator',
  'upload.refused.forbidden': 'You may not upload images here',
  'upload.refused.transferSyntax':
    'This compression is not supported: export uncompressed from the device',
  'upload.refused.other':
    'The image was not stored: retry, and tell the administrator if it persists',
};
