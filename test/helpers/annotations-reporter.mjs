// A Vitest reporter for the e2e tests: writes every test annotation it receives (Vitest's
// onTestCaseAnnotate) to the file named by ANNOTATIONS_OUT.
import { writeFileSync } from 'node:fs'

export default class AnnotationsReporter {
  annotations = []

  onTestCaseAnnotate(test, annotation) {
    this.annotations.push({
      test: test.fullName,
      type: annotation.type,
      message: annotation.message,
      attachment: annotation.attachment && {
        path: annotation.attachment.path,
        contentType: annotation.attachment.contentType,
      },
    })
  }

  onTestRunEnd() {
    writeFileSync(process.env.ANNOTATIONS_OUT, JSON.stringify(this.annotations))
  }
}
