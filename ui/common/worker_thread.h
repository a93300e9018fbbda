#pragma once
// Work the GUI must not wait for, on a thread of its own: `work()` runs
// detached, and its result, or the text of what it threw, reaches
// `deliver(receiver, result, error)` in the GUI thread, unless the receiver
// was deleted meanwhile (then nobody is told). `work` owns copies of all it
// reads; it shares with the GUI only what the caller gives it on purpose
// (a RunControl to cancel it).
#include <QCoreApplication>
#include <QPointer>
#include <QString>

#include <thread>
#include <utility>

namespace tb::ui {

template <class Receiver, class Work, class Deliver>
void runDetached(Receiver* receiver, Work work, Deliver deliver)
{
    QPointer<Receiver> self(receiver);
    std::thread([self, work = std::move(work), deliver = std::move(deliver)]() mutable {
        decltype(work()) result{};
        QString error;
        bool failed = false;
        try {
            result = work();
        } catch (const std::exception& e) {
            failed = true;
            error = QString::fromStdString(e.what());
        } catch (...) {
            failed = true;
        }
        if (failed && error.isEmpty())
            error = QCoreApplication::translate("tb::ui::WorkerThread", "unknown error");
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, deliver = std::move(deliver), result = std::move(result), error]() mutable {
                if (self)
                    deliver(*self, std::move(result), error);
            },
            Qt::QueuedConnection);
    }).detach();
}

} // namespace tb::ui
