# record_tester.py - os-ken's OpenFlow Switch Test Tool (the
# os_ken.tests.switch.tester app, run unchanged) that also writes one line per
# test case to the file named by $OSKEN_RESULTS:
#
#     FILE-DESCRIPTION <TAB> CASE-DESCRIPTION <TAB> OK|ERROR <TAB> DETAIL
#
# DETAIL is the tester's own error message (its first 200 characters, on one
# line). The lines come from the tester's log records, so what it prints and
# what is recorded are the same verdicts. Run by tests/osken/conformance.sh:
#     osken-manager --test-switch-dir DIR ... tests/osken/record_tester.py
import logging
import os

from os_ken.tests.switch import tester

RESULT_FMT = '    %-100s %s'
DETAIL_FMT = '        %s'


class _Recorder(logging.Handler):
    def __init__(self, app, path):
        super().__init__()
        self.app = app
        self.out = open(path, 'a', encoding='utf-8')
        self.pending = None  # (file, case, result) waiting for its detail

    def _flush(self, detail=''):
        if self.pending:
            f, c, r = self.pending
            detail = ' '.join(str(detail).split())[:200]
            self.out.write('%s\t%s\t%s\t%s\n' % (f, c, r, detail))
            self.out.flush()
            self.pending = None

    def emit(self, record):
        if record.msg == RESULT_FMT and len(record.args) == 2:
            self._flush()
            case, result = record.args
            self.pending = (self.app.current_file, case, result)
            if result == tester.TEST_OK:
                self._flush()
        elif record.msg == DETAIL_FMT and self.pending:
            self._flush(record.args[0])

    def close(self):
        self._flush()
        self.out.close()
        super().close()


class RecordingTester(tester.OfTester):
    current_file = ''

    def __init__(self):
        super().__init__()
        self.recorder = _Recorder(self, os.environ['OSKEN_RESULTS'])
        self.logger.addHandler(self.recorder)

    def _test_file_execute(self, testfile):
        self.current_file = testfile.description
        return super()._test_file_execute(testfile)

    def _test_end(self, msg=None, report=None):
        if getattr(self, 'recorder', None):
            self.recorder.close()
        return super()._test_end(msg, report)
