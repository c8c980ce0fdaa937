/** The upload and signature widgets' words, added to the app's translations. */
import i18n from '../i18n';

i18n.addResourceBundle('zh-CN', 'translation', {
  files: {
    upload: '上传', uploadImage: '上传图片', uploading: '上传中…', uploadFailed: '上传失败：{{message}}', tooLarge: '文件过大：上限 {{limit}}',
    remove: '删除', download: '下载', preview: '预览', none: '无', accepts: '支持 {{types}}，单个不超过 {{limit}}',
    sign: '请在框内签名', signClear: '清除', signAgain: '重新签名', signSaved: '已签名', signEmpty: '未签名',
  },
}, true, false);

i18n.addResourceBundle('en', 'translation', {
  files: {
    upload: 'Upload', uploadImage: 'Upload image', uploading: 'Uploading…', uploadFailed: 'Upload failed: {{message}}', tooLarge: 'The file is too large (limit {{limit}})',
    remove: 'Remove', download: 'Download', preview: 'Preview', none: 'None', accepts: '{{types}}, at most {{limit}} each',
    sign: 'Sign in the box', signClear: 'Clear', signAgain: 'Sign again', signSaved: 'Signed', signEmpty: 'Not signed',
  },
}, true, false);

export default i18n;
