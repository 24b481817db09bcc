/** The student page speaks English or Chinese; the choice also picks README.md or README.zh.md. */
export type Lang = 'en' | 'zh';

const en = {
  title: 'toplab workshop',
  join: 'Join',
  joinTitle: 'Join a workshop',
  code: 'Event code',
  name: 'Your name',
  pickName: 'Pick your name',
  joining: 'Joining…',
  exercise: 'Exercise',
  topology: 'Topology',
  topologyHint: 'Click a node to open its terminal.',
  files: 'Files',
  saved: 'Saved',
  saving: 'Saving…',
  unsaved: 'Unsaved changes',
  saveFailed: 'Save failed: retrying. Your text is kept in this tab.',
  resetFile: 'Reset to starter',
  resetFileConfirm: 'Replace this file with the starter code? Your changes to it are lost.',
  terminals: 'Terminals',
  openTerminal: 'Terminal',
  reconnecting: 'Reconnecting…',
  connecting: 'Connecting…',
  check: 'Check',
  checking: 'Checking…',
  checkIdle: 'Press Check to run the exercise on your instance and grade it.',
  total: 'Total',
  pcap: 'Download the capture (.pcap)',
  attempts: 'Earlier attempts',
  noAttempts: 'No attempts yet.',
  resetInstance: 'Reset instance',
  resetInstanceConfirm: 'Recreate your lab containers? Your files are kept.',
  restartPrograms: 'Restart programs',
  stillHere: "I'm still here",
  endsIn: 'Ends in',
  idleIn: 'Your lab stops for inactivity in',
  state: 'Instance',
  language: '中文',
  languageLabel: 'Switch to Chinese',
  leave: 'Leave',
  evidence: 'Evidence',
  pass: 'PASS',
  fail: 'FAIL',
  error: 'ERROR',
  skipped: 'SKIPPED',
  points: 'points',
  queue: 'Waiting for a lab instance: position',
  starting: 'Starting your lab',
  containers: 'Starting your lab: {n} of {total} containers',
  capture: 'Starting your lab: containers up, preparing the packet capture',
  downloadMine: 'Download my files',
  downloadMineTitle: 'Your files, your last check report and its captures (.tar.gz)',
  start: 'Start my lab again',
  offline: 'Connection to the server lost: reconnecting…',
};
export type MessageKey = keyof typeof en;

const zh: Record<MessageKey, string> = {
  title: 'toplab 实验课',
  join: '加入',
  joinTitle: '加入实验课',
  code: '课程代码',
  name: '你的名字',
  pickName: '选择你的名字',
  joining: '正在加入…',
  exercise: '实验说明',
  topology: '网络拓扑',
  topologyHint: '点击节点打开它的终端。',
  files: '文件',
  saved: '已保存',
  saving: '正在保存…',
  unsaved: '有未保存的修改',
  saveFailed: '保存失败：正在重试。你的内容仍保留在此页面。',
  resetFile: '恢复为初始代码',
  resetFileConfirm: '用初始代码替换此文件？你的修改将丢失。',
  terminals: '终端',
  openTerminal: '终端',
  reconnecting: '正在重新连接…',
  connecting: '正在连接…',
  check: '检查',
  checking: '正在检查…',
  checkIdle: '点击“检查”在你的实验环境中运行并评分。',
  total: '总分',
  pcap: '下载抓包文件 (.pcap)',
  attempts: '历史提交',
  noAttempts: '还没有提交。',
  resetInstance: '重置实验环境',
  resetInstanceConfirm: '重新创建实验容器？你的文件会保留。',
  restartPrograms: '重启程序',
  stillHere: '我还在',
  endsIn: '剩余时间',
  idleIn: '因长时间无操作，实验环境将在以下时间后停止：',
  state: '实验环境',
  language: 'English',
  languageLabel: '切换到英文',
  leave: '退出',
  evidence: '证据',
  pass: '通过',
  fail: '未通过',
  error: '错误',
  skipped: '跳过',
  points: '分',
  queue: '正在等待实验环境：排队位置',
  starting: '正在启动你的实验环境',
  containers: '正在启动你的实验环境：已创建 {n} / {total} 个容器',
  capture: '正在启动你的实验环境：容器已就绪，正在准备抓包',
  downloadMine: '下载我的文件',
  downloadMineTitle: '你的文件、最近一次检查报告及其抓包文件 (.tar.gz)',
  start: '重新启动我的实验环境',
  offline: '与服务器的连接已断开：正在重新连接…',
};

const tables: Record<Lang, Record<MessageKey, string>> = { en, zh };

export function initialLang(): Lang {
  const stored = localStorage.getItem('toplab.lang');
  if (stored === 'en' || stored === 'zh') return stored;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function storeLang(lang: Lang): void {
  localStorage.setItem('toplab.lang', lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

export function translator(lang: Lang): (key: MessageKey) => string {
  return (key) => tables[lang][key];
}
