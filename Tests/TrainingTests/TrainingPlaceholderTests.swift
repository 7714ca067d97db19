import Testing
import SwiftVision
