import Foundation

/// C `strftime` for the directives chat templates use (`%d %b %Y`, `%Y-%m-%d`, ...), in the
/// given time zone (transformers calls `datetime.now()`, i.e. local time). glibc's `%-d`
/// (no padding) is accepted too.
enum JinjaStrftime {
    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
    static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    static func format(_ date: Date, _ format: String, timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
        let (year, month, day) = (c.year ?? 1970, c.month ?? 1, c.day ?? 1)
        let (hour, minute, second) = (c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
        let weekday = (c.weekday ?? 1) - 1
        var out = ""
        var chars = format.makeIterator()
        while let ch = chars.next() {
            guard ch == "%" else { out.append(ch); continue }
            guard var d = chars.next() else { out += "%"; break }
            var pad = true
            if d == "-" {
                pad = false
                guard let n = chars.next() else { out += "%-"; break }
                d = n
            }
            func num(_ v: Int, _ width: Int) -> String {
                let s = String(v)
                return pad ? String(repeating: "0", count: max(0, width - s.count)) + s : s
            }
            switch d {
            case "d": out += num(day, 2)
            case "e": out += pad ? (day < 10 ? " \(day)" : "\(day)") : "\(day)"
            case "m": out += num(month, 2)
            case "Y": out += String(year)
            case "y": out += num(year % 100, 2)
            case "b", "h": out += String(months[month - 1].prefix(3))
            case "B": out += months[month - 1]
            case "a": out += String(weekdays[weekday].prefix(3))
            case "A": out += weekdays[weekday]
            case "H": out += num(hour, 2)
            case "I": out += num(hour % 12 == 0 ? 12 : hour % 12, 2)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "M": out += num(minute, 2)
            case "S": out += num(second, 2)
            case "j": out += num(dayOfYear, 3)
            case "w": out += String(weekday)
            case "u": out += String(weekday == 0 ? 7 : weekday)
            case "F": out += "\(year)-\(num(month, 2))-\(num(day, 2))"
            case "D": out += "\(num(month, 2))/\(num(day, 2))/\(num(year % 100, 2))"
            case "T": out += "\(num(hour, 2)):\(num(minute, 2)):\(num(second, 2))"
            case "%": out += "%"
            default: out += "%" + (pad ? "" : "-") + String(d)
            }
        }
        return out
    }
}
