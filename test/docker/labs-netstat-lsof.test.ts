import { describeLabGrading } from '../helpers/grade-lab.js';

// netstat-lsof: the reference scores full marks; each mistake fails exactly the checks it should.
describeLabGrading('netstat-lsof', {
  'swallows-error': ['exits-nonzero'],
  'moves-to-another-port': ['exits-nonzero', 'says-eaddrinuse', 'names-port'],
  'finds-the-wrapper': ['holder-pid', 'holder-command'],
});
