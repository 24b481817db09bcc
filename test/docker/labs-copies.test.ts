import { describeLabGrading } from '../helpers/grade-lab.js';

// copies: the server's /proc/<pid>/io grows by the file's size in rchar and in wchar with read() + write()
// and with Node's pipe alike; the reference scores full marks and each mistake fails exactly its checks.
describeLabGrading('copies', {
  'thinks-pipe-is-zero-copy': ['pipe-copies'],
  'reads-file-twice': ['readwrite-read', 'readwrite-copies', 'pipe-copies'],
});
