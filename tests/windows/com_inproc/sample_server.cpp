// The tests' in-process COM server, made to behave like a VB6 ActiveX DLL: class Sample
// (sample.idl) behind a dual interface whose IDispatch is the type library's (DispInvoke, as
// VB6's runtime does it), apartment-threaded (every object refuses calls from a thread other
// than the one that created it, with RPC_E_WRONG_THREAD), raising errors through IErrorInfo,
// BSTR/VARIANT/SAFEARRAY members, a ByRef and an Optional parameter, a collection with
// _NewEnum, and events through a connection point (IConnectionPointContainer, IProvideClassInfo,
// fired from a method, from a property put with a ByRef Cancel, and from a thread timer).
// Registration-free only (no DllRegisterServer): the tests create it from its file.
// With BITBRIDGE_SAMPLE_LOG set, advise/unadvise/destruction are appended to that file, so a
// test can see what the host did after its client was gone.
// Exports DllGetClassObject and DllCanUnloadNow (undecorated: linked with --kill-at).
#include <windows.h>
#include <initguid.h>
#include <objbase.h>
#include <oleauto.h>

#include <olectl.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <cwchar>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sample.h"

namespace {

HMODULE g_module = nullptr;         // this DLL, for its embedded type library
std::atomic<long> g_objects{0};     // live objects and locks: DllCanUnloadNow
// Sample.Shared: a module variable kept per thread, as VB6 keeps a .bas module's variables per
// apartment thread (zero-initialised: VT_EMPTY).
thread_local VARIANT t_shared;
// Answered by Sample's QueryInterface with the object itself: how Attach tells one of its own
// objects from anything else (a proxy, another class). Private to this DLL.
const IID kSampleSelf = {0x6d1f7a40, 0x3c1e, 0x4a8b, {0x9b, 0x51, 0x1f, 0x0c, 0x2b, 0x7e, 0x9a, 0x7f}};

// Record Point of the type library (sample.idl): VB6's Public Type Point.
const GUID kPointGuid = {0x6d1f7a40, 0x3c1e, 0x4a8b, {0x9b, 0x51, 0x1f, 0x0c, 0x2b, 0x7e, 0x9a, 0x20}};

// The type information of `iid` from the type library embedded in this DLL (resource 1).
ITypeInfo* typeInfoOf(REFIID iid) {
  wchar_t path[MAX_PATH];
  ::GetModuleFileNameW(g_module, path, MAX_PATH);
  ITypeLib* library = nullptr;
  if (FAILED(::LoadTypeLibEx(path, REGKIND_NONE, &library))) return nullptr;
  ITypeInfo* info = nullptr;
  library->GetTypeInfoOfGuid(iid, &info);
  library->Release();
  return info;
}

// One line to $BITBRIDGE_SAMPLE_LOG, if set (opened and closed each time: the process may be
// killed at any moment).
void logLine(const std::string& line) {
  char path[MAX_PATH];
  DWORD length = ::GetEnvironmentVariableA("BITBRIDGE_SAMPLE_LOG", path, MAX_PATH);
  if (length == 0 || length >= MAX_PATH) return;
  if (FILE* file = std::fopen(path, "a")) {
    std::fprintf(file, "%s\n", line.c_str());
    std::fclose(file);
  }
}

// VB6's Err.Raise: the error object for the caller, then the failing HRESULT.
HRESULT raise(HRESULT code, const wchar_t* source, const std::wstring& description,
              DWORD helpContext) {
  ICreateErrorInfo* create = nullptr;
  if (SUCCEEDED(::CreateErrorInfo(&create))) {
    create->SetSource(const_cast<wchar_t*>(source));
    create->SetDescription(const_cast<wchar_t*>(description.c_str()));
    create->SetHelpContext(helpContext);
    create->SetGUID(IID__Sample);
    IErrorInfo* info = nullptr;
    if (SUCCEEDED(create->QueryInterface(IID_IErrorInfo, reinterpret_cast<void**>(&info)))) {
      ::SetErrorInfo(0, info);
      info->Release();
    }
    create->Release();
  }
  return code;
}

// IUnknown + IDispatch from the type library, and the apartment check, for interface I.
template <typename I>
class Automation : public I, public ISupportErrorInfo {
 public:
  Automation() : thread_(::GetCurrentThreadId()), info_(typeInfoOf(__uuidof(I))) { ++g_objects; }
  virtual ~Automation() {
    if (info_ != nullptr) info_->Release();
    --g_objects;
  }

  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID iid, void** out) override {
    if (out == nullptr) return E_POINTER;
    if (iid == IID_IUnknown || iid == IID_IDispatch || iid == __uuidof(I)) {
      *out = static_cast<I*>(this);
    } else if (iid == IID_ISupportErrorInfo) {
      *out = static_cast<ISupportErrorInfo*>(this);
    } else {
      *out = nullptr;
      return E_NOINTERFACE;
    }
    AddRef();
    return S_OK;
  }
  ULONG STDMETHODCALLTYPE AddRef() override { return ++references_; }
  ULONG STDMETHODCALLTYPE Release() override {
    long left = --references_;
    if (left == 0) delete this;
    return left;
  }
  HRESULT STDMETHODCALLTYPE InterfaceSupportsErrorInfo(REFIID iid) override {
    return iid == __uuidof(I) ? S_OK : S_FALSE;
  }
  HRESULT STDMETHODCALLTYPE GetTypeInfoCount(UINT* count) override {
    *count = info_ != nullptr ? 1 : 0;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE GetTypeInfo(UINT index, LCID, ITypeInfo** info) override {
    if (index != 0 || info_ == nullptr) return DISP_E_BADINDEX;
    info_->AddRef();
    *info = info_;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE GetIDsOfNames(REFIID, LPOLESTR* names, UINT count, LCID,
                                          DISPID* ids) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    return ::DispGetIDsOfNames(info_, names, count, ids);
  }
  HRESULT STDMETHODCALLTYPE Invoke(DISPID id, REFIID, LCID, WORD flags, DISPPARAMS* params,
                                   VARIANT* result, EXCEPINFO* exception,
                                   UINT* argumentError) override {
    // An apartment-threaded object is called on its own thread only: a VB6 class would
    // misbehave (its globals are per thread), so refuse as COM's proxies do.
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    return ::DispInvoke(static_cast<I*>(this), info_, id, flags, params, result, exception,
                        argumentError);
  }

 protected:
  bool onOwnThread() const { return ::GetCurrentThreadId() == thread_; }

 private:
  std::atomic<long> references_{1};
  DWORD thread_;  // the creating thread: the object's apartment
  ITypeInfo* info_;
};

// For Each over an _Items: IEnumVARIANT over a copy of the items.
class ItemEnumerator final : public IEnumVARIANT {
 public:
  explicit ItemEnumerator(std::vector<std::wstring> items) : items_(std::move(items)) {
    ++g_objects;
  }
  ~ItemEnumerator() { --g_objects; }
  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID iid, void** out) override {
    if (iid == IID_IUnknown || iid == IID_IEnumVARIANT) {
      *out = static_cast<IEnumVARIANT*>(this);
      AddRef();
      return S_OK;
    }
    *out = nullptr;
    return E_NOINTERFACE;
  }
  ULONG STDMETHODCALLTYPE AddRef() override { return ++references_; }
  ULONG STDMETHODCALLTYPE Release() override {
    long left = --references_;
    if (left == 0) delete this;
    return left;
  }
  HRESULT STDMETHODCALLTYPE Next(ULONG count, VARIANT* out, ULONG* fetched) override {
    ULONG n = 0;
    for (; n < count && next_ < items_.size(); ++n, ++next_) {
      ::VariantInit(&out[n]);
      V_VT(&out[n]) = VT_BSTR;
      V_BSTR(&out[n]) = ::SysAllocString(items_[next_].c_str());
    }
    if (fetched != nullptr) *fetched = n;
    return n == count ? S_OK : S_FALSE;
  }
  HRESULT STDMETHODCALLTYPE Skip(ULONG count) override {
    next_ += count;
    return next_ <= items_.size() ? S_OK : S_FALSE;
  }
  HRESULT STDMETHODCALLTYPE Reset() override {
    next_ = 0;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Clone(IEnumVARIANT** out) override {
    auto* copy = new ItemEnumerator(items_);
    copy->next_ = next_;
    *out = copy;
    return S_OK;
  }

 private:
  std::atomic<long> references_{1};
  std::vector<std::wstring> items_;
  size_t next_ = 0;
};

class Items final : public Automation<_Items> {
 public:
  explicit Items(long count) {
    for (long i = 1; i <= count; ++i) items_.push_back(L"item" + std::to_wstring(i));
  }
  HRESULT STDMETHODCALLTYPE get_Item(LONG index, VARIANT* value) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    if (index < 1 || index > static_cast<LONG>(items_.size())) {
      return raise(DISP_E_BADINDEX, L"Items", L"Subscript out of range", 0);
    }
    ::VariantInit(value);
    V_VT(value) = VT_BSTR;
    V_BSTR(value) = ::SysAllocString(items_[index - 1].c_str());
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_Count(LONG* count) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    *count = static_cast<LONG>(items_.size());
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get__NewEnum(IUnknown** enumerator) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    *enumerator = new ItemEnumerator(items_);
    return S_OK;
  }

 private:
  std::vector<std::wstring> items_;
};

// Point records, handled as VB6's runtime handles a UDT: its IRecordInfo from the type library,
// a returned one in a VARIANT (VT_RECORD, its memory from CoTaskMemAlloc as RecordCreate makes
// it), a ByRef one changed in place.
IRecordInfo* pointInfo() {
  ITypeInfo* info = typeInfoOf(kPointGuid);
  if (info == nullptr) return nullptr;
  IRecordInfo* record = nullptr;
  if (FAILED(::GetRecordInfoFromTypeInfo(info, &record))) record = nullptr;
  info->Release();
  return record;
}

// The Point `arg` holds (VT_RECORD, by reference or not, or in a Variant), or nullptr when it
// is not this library's Point (another record, another library, not a record). A Point whose
// IRecordInfo says another size than this DLL's own struct is refused too: the type library
// and the code would disagree on the layout.
Point* pointArgument(VARIANT& arg) {
  VARTYPE vt = V_VT(&arg);
  if (vt == (VT_BYREF | VT_VARIANT)) return pointArgument(*V_VARIANTREF(&arg));
  if ((vt & ~VT_BYREF) != VT_RECORD || V_RECORDINFO(&arg) == nullptr) return nullptr;
  GUID guid{};
  ULONG size = 0;
  if (FAILED(V_RECORDINFO(&arg)->GetGuid(&guid)) || guid != kPointGuid ||
      FAILED(V_RECORDINFO(&arg)->GetSize(&size)) || size != sizeof(Point)) {
    return nullptr;
  }
  return static_cast<Point*>(V_RECORD(&arg));
}

BSTR copyText(BSTR text) { return ::SysAllocStringLen(text, ::SysStringLen(text)); }

void clearPoint(Point& p) {
  ::SysFreeString(p.Name);
  ::SysFreeString(p.Inner.Label);
  if (p.Samples != nullptr) ::SafeArrayDestroy(p.Samples);
  std::memset(&p, 0, sizeof(p));
}

void copyPoint(const Point& from, Point& to) {
  to = from;
  to.Name = copyText(from.Name);
  to.Inner.Label = copyText(from.Inner.Label);
  to.Samples = nullptr;
  if (from.Samples != nullptr) ::SafeArrayCopy(from.Samples, &to.Samples);
}

// `p` in a VARIANT (VT_RECORD), as VB6 returns a UDT through IDispatch; `p` is moved.
HRESULT returnPoint(Point& p, VARIANT* result) {
  if (result == nullptr) {
    clearPoint(p);
    return S_OK;
  }
  IRecordInfo* info = pointInfo();
  void* data = ::CoTaskMemAlloc(sizeof(Point));
  if (info == nullptr || data == nullptr) {
    if (info != nullptr) info->Release();
    ::CoTaskMemFree(data);
    clearPoint(p);
    return E_OUTOFMEMORY;
  }
  std::memcpy(data, &p, sizeof(Point));
  std::memset(&p, 0, sizeof(p));
  ::VariantInit(result);
  V_VT(result) = VT_RECORD;
  V_RECORD(result) = data;
  V_RECORDINFO(result) = info;
  return S_OK;
}

// The elements of a SAFEARRAY(long) field, or nothing.
std::vector<LONG*> longElements(SAFEARRAY* array) {
  std::vector<LONG*> out;
  VARTYPE vt = VT_EMPTY;
  if (array == nullptr || FAILED(::SafeArrayGetVartype(array, &vt)) || vt != VT_I4 ||
      ::SafeArrayGetDim(array) != 1) {
    return out;
  }
  LONG lower = 0, upper = -1;
  ::SafeArrayGetLBound(array, 1, &lower);
  ::SafeArrayGetUBound(array, 1, &upper);
  for (LONG i = lower; i <= upper; ++i) {
    void* element = nullptr;
    if (SUCCEEDED(::SafeArrayPtrOfIndex(array, &i, &element))) {
      out.push_back(static_cast<LONG*>(element));
    }
  }
  return out;
}

// `text` (owned) as Invoke's result, or freed when there is no result; `hr` passed through.
HRESULT returnText(HRESULT hr, BSTR text, VARIANT* result) {
  if (result == nullptr || FAILED(hr)) {
    ::SysFreeString(text);
    return hr;
  }
  ::VariantInit(result);
  V_VT(result) = VT_BSTR;
  V_BSTR(result) = text;
  return hr;
}

// Destroys an array of Points: each element cleared here, then the array as plain memory (Wine's
// IRecordInfo::RecordClear, which SafeArrayDestroy would call per element, mishandles the
// Samples array field).
void destroyPoints(SAFEARRAY* array) {
  if (array == nullptr) return;
  Point* points = nullptr;
  if (SUCCEEDED(::SafeArrayAccessData(array, reinterpret_cast<void**>(&points)))) {
    LONG lower = 0, upper = -1;
    ::SafeArrayGetLBound(array, 1, &lower);
    ::SafeArrayGetUBound(array, 1, &upper);
    for (LONG i = 0; i <= upper - lower; ++i) clearPoint(points[i]);
    ::SafeArrayUnaccessData(array);
  }
  if ((array->fFeatures & FADF_RECORD) != 0) {
    ::SafeArraySetRecordInfo(array, nullptr);
    array->fFeatures &= static_cast<USHORT>(~FADF_RECORD);
  }
  ::SafeArrayDestroy(array);
}

// A new array of `count` zeroed Points from index `first`, or nullptr.
SAFEARRAY* newPoints(LONG count, LONG first) {
  IRecordInfo* info = pointInfo();
  if (info == nullptr) return nullptr;
  SAFEARRAYBOUND bound{static_cast<ULONG>(count), first};
  SAFEARRAY* array = ::SafeArrayCreateEx(VT_RECORD, 1, &bound, info);
  info->Release();
  return array;
}

// The Points of `array` (one dimension, of this library's Point), or false.
bool pointElements(SAFEARRAY* array, Point** points, LONG* lower, LONG* count) {
  IRecordInfo* info = nullptr;
  GUID guid{};
  if (array == nullptr || ::SafeArrayGetDim(array) != 1 ||
      FAILED(::SafeArrayGetRecordInfo(array, &info)) || info == nullptr) {
    return false;
  }
  bool point = SUCCEEDED(info->GetGuid(&guid)) && guid == kPointGuid &&
               ::SafeArrayGetElemsize(array) == sizeof(Point);
  info->Release();
  LONG upper = -1;
  if (!point) return false;
  ::SafeArrayGetLBound(array, 1, lower);
  ::SafeArrayGetUBound(array, 1, &upper);
  *count = upper - *lower + 1;
  *points = static_cast<Point*>(array->pvData);
  return true;
}

class Sample;

// The connection point of _SampleEvents: part of its Sample (same reference count), keeping
// the sinks advised, on the Sample's thread.
class EventPoint final : public IConnectionPoint {
 public:
  explicit EventPoint(Sample* owner) : owner_(owner) {}
  ~EventPoint() {
    for (auto& sink : sinks_) sink.second->Release();
  }
  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID iid, void** out) override {
    if (iid == IID_IUnknown || iid == IID_IConnectionPoint) {
      *out = static_cast<IConnectionPoint*>(this);
      AddRef();
      return S_OK;
    }
    *out = nullptr;
    return E_NOINTERFACE;
  }
  ULONG STDMETHODCALLTYPE AddRef() override;
  ULONG STDMETHODCALLTYPE Release() override;
  HRESULT STDMETHODCALLTYPE GetConnectionInterface(IID* iid) override {
    *iid = DIID__SampleEvents;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE GetConnectionPointContainer(IConnectionPointContainer** out) override;
  HRESULT STDMETHODCALLTYPE Advise(IUnknown* sink, DWORD* cookie) override {
    if (sink == nullptr || cookie == nullptr) return E_POINTER;
    // As VB6 does: the sink must implement the event interface itself.
    IDispatch* dispatch = nullptr;
    if (FAILED(sink->QueryInterface(DIID__SampleEvents, reinterpret_cast<void**>(&dispatch)))) {
      return CONNECT_E_CANNOTCONNECT;
    }
    *cookie = ++lastCookie_;
    sinks_[*cookie] = dispatch;
    logLine("advise " + std::to_string(*cookie));
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Unadvise(DWORD cookie) override {
    auto found = sinks_.find(cookie);
    if (found == sinks_.end()) return CONNECT_E_NOCONNECTION;
    IDispatch* sink = found->second;
    sinks_.erase(found);
    sink->Release();
    logLine("unadvise " + std::to_string(cookie));
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE EnumConnections(IEnumConnections**) override { return E_NOTIMPL; }

  // Calls every sink advised now, `args` last first as in DISPPARAMS.
  void fire(DISPID id, VARIANT* args, UINT count) {
    std::vector<IDispatch*> sinks;  // a copy: a sink may unadvise while it is called
    for (auto& sink : sinks_) {
      sink.second->AddRef();
      sinks.push_back(sink.second);
    }
    for (IDispatch* sink : sinks) {
      DISPPARAMS params{args, nullptr, count, 0};
      const IID none{};  // IID_NULL (its symbol, GUID_NULL, is not in this DLL's libraries)
      EXCEPINFO exception{};
      note(sink->Invoke(id, none, LOCALE_USER_DEFAULT, DISPATCH_METHOD, &params, nullptr,
                        &exception, nullptr),
           exception);
      ::SysFreeString(exception.bstrSource);
      ::SysFreeString(exception.bstrDescription);
      ::SysFreeString(exception.bstrHelpFile);
      sink->Release();
    }
  }
  long count() const { return static_cast<long>(sinks_.size()); }
  // Also what a call to the kept Sink (SetSink) returned.
  void note(HRESULT result, const EXCEPINFO& exception) {
    lastResult_ = result;
    lastError_ = exception.bstrDescription != nullptr
                     ? std::wstring(exception.bstrDescription,
                                    ::SysStringLen(exception.bstrDescription))
                     : std::wstring();
  }
  HRESULT lastResult() const { return lastResult_; }
  const std::wstring& lastError() const { return lastError_; }

 private:
  Sample* owner_;
  std::map<DWORD, IDispatch*> sinks_;
  DWORD lastCookie_ = 0;
  HRESULT lastResult_ = S_OK;  // of the last sink called
  std::wstring lastError_;     // its EXCEPINFO's description
};

// The thread timers of StartTicking: what each one fires (thread timers carry no context).
struct Ticking {
  Sample* sample;  // AddRef'ed while the timer runs
  long count;
  long fired;
};
std::mutex g_tickingMutex;
std::map<UINT_PTR, Ticking> g_ticking;  // guarded by g_tickingMutex
std::map<UINT_PTR, Sample*> g_notifying;  // NotifyLater's timers (AddRef'ed); g_tickingMutex

class Sample final : public Automation<_Sample>,
                     public IConnectionPointContainer,
                     public IProvideClassInfo {
 public:
  ~Sample() {
    if (sink_ != nullptr) sink_->Release();
    clearPoint(origin_);
    ::SysFreeString(name_);
    logLine("sample destroyed");
  }

  // IUnknown for all the interfaces: Automation's, plus the container and the class info.
  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID iid, void** out) override {
    if (out == nullptr) return E_POINTER;
    if (iid == IID_IConnectionPointContainer) {
      *out = static_cast<IConnectionPointContainer*>(this);
    } else if (iid == IID_IProvideClassInfo) {
      *out = static_cast<IProvideClassInfo*>(this);
    } else if (iid == kSampleSelf) {
      *out = this;
    } else {
      return Automation<_Sample>::QueryInterface(iid, out);
    }
    AddRef();
    return S_OK;
  }
  ULONG STDMETHODCALLTYPE AddRef() override { return Automation<_Sample>::AddRef(); }
  ULONG STDMETHODCALLTYPE Release() override { return Automation<_Sample>::Release(); }

  // The record members are dispatched here, as VB6's runtime does for its classes, rather than
  // by DispInvoke: Wine's ITypeInfo::Invoke returns a record through a VARIANT-sized buffer.
  HRESULT STDMETHODCALLTYPE Invoke(DISPID id, REFIID iid, LCID locale, WORD flags,
                                   DISPPARAMS* params, VARIANT* result, EXCEPINFO* exception,
                                   UINT* argumentError) override {
    if ((id < 17 || id > 20) && (id < 27 || id > 29)) {
      return Automation<_Sample>::Invoke(id, iid, locale, flags, params, result, exception,
                                         argumentError);
    }
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    UINT ignored = 0;
    return invokeRecords(id, flags, params, result, argumentError ? argumentError : &ignored);
  }

  HRESULT STDMETHODCALLTYPE EnumConnectionPoints(IEnumConnectionPoints**) override {
    return E_NOTIMPL;
  }
  HRESULT STDMETHODCALLTYPE FindConnectionPoint(REFIID iid, IConnectionPoint** out) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    if (iid != DIID__SampleEvents) {
      *out = nullptr;
      return CONNECT_E_NOCONNECTION;
    }
    *out = &events_;
    AddRef();
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE GetClassInfo(ITypeInfo** info) override {
    *info = typeInfoOf(CLSID_Sample);
    return *info != nullptr ? S_OK : E_FAIL;
  }

  HRESULT STDMETHODCALLTYPE Value(VARIANT value, VARIANT* result) override {
    return Echo(value, result);
  }
  HRESULT STDMETHODCALLTYPE Echo(VARIANT value, VARIANT* result) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    ::VariantInit(result);
    return ::VariantCopy(result, &value);
  }
  HRESULT STDMETHODCALLTYPE Concat(BSTR a, VARIANT b, BSTR* result) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    std::wstring text(a, ::SysStringLen(a));
    // Left out: VT_ERROR DISP_E_PARAMNOTFOUND, as VB6's IsMissing sees it.
    if (V_VT(&b) == VT_ERROR && V_ERROR(&b) == DISP_E_PARAMNOTFOUND) {
      text += L"(missing)";
    } else {
      VARIANT converted;
      ::VariantInit(&converted);
      HRESULT hr = ::VariantChangeType(&converted, &b, 0, VT_BSTR);
      if (FAILED(hr)) return hr;
      text.append(V_BSTR(&converted), ::SysStringLen(V_BSTR(&converted)));
      ::VariantClear(&converted);
    }
    *result = ::SysAllocStringLen(text.data(), static_cast<UINT>(text.size()));
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Twice(LONG* n, LONG* old) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    *old = *n;
    *n *= 2;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Sum(SAFEARRAY* values, double* result) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    *result = 0;
    if (values == nullptr) return S_OK;
    LONG lower = 0, upper = -1;
    ::SafeArrayGetLBound(values, 1, &lower);
    ::SafeArrayGetUBound(values, 1, &upper);
    for (LONG i = lower; i <= upper; ++i) {
      VARIANT element, number;
      ::VariantInit(&element);
      ::VariantInit(&number);
      ::SafeArrayGetElement(values, &i, &element);
      HRESULT hr = ::VariantChangeType(&number, &element, 0, VT_R8);
      ::VariantClear(&element);
      if (FAILED(hr)) return hr;
      *result += V_R8(&number);
    }
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Grid(LONG rows, LONG cols, SAFEARRAY** result) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    SAFEARRAYBOUND bounds[2] = {{static_cast<ULONG>(rows), 1}, {static_cast<ULONG>(cols), 1}};
    SAFEARRAY* grid = ::SafeArrayCreate(VT_I4, 2, bounds);
    for (LONG r = 1; r <= rows; ++r) {
      for (LONG c = 1; c <= cols; ++c) {
        LONG index[2] = {r, c};
        LONG value = r * 100 + c;
        ::SafeArrayPutElement(grid, index, &value);
      }
    }
    *result = grid;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Fail(BSTR description) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    // vbObjectError + 513, as VB6 code raises its own errors.
    return raise(static_cast<HRESULT>(0x80040201), L"SampleSource",
                 std::wstring(description, ::SysStringLen(description)), 4242);
  }
  HRESULT STDMETHODCALLTYPE get_Name(BSTR* value) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    *value = ::SysAllocStringLen(name_, ::SysStringLen(name_));
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE put_Name(BSTR value) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    // RaiseEvent Renaming(value, cancel): a handler may cancel.
    VARIANT_BOOL cancel = VARIANT_FALSE;
    VARIANT args[2];
    ::VariantInit(&args[0]);
    ::VariantInit(&args[1]);
    V_VT(&args[0]) = VT_BYREF | VT_BOOL;
    V_BOOLREF(&args[0]) = &cancel;
    V_VT(&args[1]) = VT_BSTR;
    V_BSTR(&args[1]) = value;  // borrowed
    events_.fire(2, args, 2);
    if (cancel != VARIANT_FALSE) return S_OK;
    ::SysFreeString(name_);
    name_ = ::SysAllocStringLen(value, ::SysStringLen(value));
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE MakeItems(LONG count, _Items** items) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    *items = new Items(count);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_InSta(VARIANT_BOOL* sta) override {
    APTTYPE type = APTTYPE_CURRENT;
    APTTYPEQUALIFIER qualifier = APTTYPEQUALIFIER_NONE;
    bool inSta = SUCCEEDED(::CoGetApartmentType(&type, &qualifier)) &&
                 (type == APTTYPE_STA || type == APTTYPE_MAINSTA);
    *sta = inSta && onOwnThread() ? VARIANT_TRUE : VARIANT_FALSE;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Add(LONG a, LONG b, LONG* sum) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    *sum = a + b;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_LiveObjects(LONG* count) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    *count = g_objects;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE FireTicks(LONG count) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    for (LONG i = 1; i <= count; ++i) tick(i, L"tick ");
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE StartTicking(LONG count, LONG ms) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    if (count <= 0) return S_OK;
    UINT_PTR timer = ::SetTimer(nullptr, 0, static_cast<UINT>(ms), &Sample::onTimer);
    if (timer == 0) return E_FAIL;
    AddRef();
    std::lock_guard<std::mutex> lock(g_tickingMutex);
    g_ticking[timer] = Ticking{this, count, 0};
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_AdvisedSinks(LONG* count) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    *count = events_.count();
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_LastEventResult(LONG* result) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    *result = static_cast<LONG>(events_.lastResult());
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_LastEventError(BSTR* description) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    const std::wstring& text = events_.lastError();
    *description = ::SysAllocStringLen(text.data(), static_cast<UINT>(text.size()));
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE SetSink(IDispatch* sink) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    if (sink != nullptr) sink->AddRef();
    if (sink_ != nullptr) sink_->Release();
    sink_ = sink;
    if (sink_ == nullptr) return S_OK;
    VARIANT value;
    ::VariantInit(&value);
    V_VT(&value) = VT_BSTR;
    V_BSTR(&value) = ::SysAllocString(L"set");
    VARIANT answer;
    ::VariantInit(&answer);
    HRESULT hr = callSink(L"Notify", &value, &answer);
    ::VariantClear(&value);
    ::VariantClear(&answer);
    return hr;
  }
  HRESULT STDMETHODCALLTYPE CallSink(BSTR member, VARIANT* value, VARIANT* answer) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    ::VariantInit(answer);
    return callSink(std::wstring(member, ::SysStringLen(member)), value, answer);
  }
  HRESULT STDMETHODCALLTYPE ReleaseSink() override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    if (sink_ != nullptr) sink_->Release();
    sink_ = nullptr;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE NotifyLater(LONG ms) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    UINT_PTR timer = ::SetTimer(nullptr, 0, static_cast<UINT>(ms), &Sample::onNotifyTimer);
    if (timer == 0) return E_FAIL;
    AddRef();
    std::lock_guard<std::mutex> lock(g_tickingMutex);
    g_notifying[timer] = this;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_Shared(VARIANT* value) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    ::VariantInit(value);
    return ::VariantCopy(value, &t_shared);
  }
  HRESULT STDMETHODCALLTYPE put_Shared(VARIANT value) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    return ::VariantCopy(&t_shared, &value);
  }
  HRESULT STDMETHODCALLTYPE MovePoint(Point* p, LONG dx) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    p->X += dx;
    p->Y *= 2;
    std::wstring name(p->Name, ::SysStringLen(p->Name));  // embedded NULs kept
    name += L"!";
    ::SysFreeString(p->Name);
    p->Name = ::SysAllocStringLen(name.data(), static_cast<UINT>(name.size()));
    p->Inner.Id += 1;
    ::SysFreeString(p->Inner.Label);
    p->Inner.Label = ::SysAllocString(L"moved");
    for (LONG* value : longElements(p->Samples)) *value += dx;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Points(LONG count, LONG first, SAFEARRAY** result) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    if (count < 0 || count > 100000) return E_INVALIDARG;
    SAFEARRAY* array = newPoints(count, first);
    if (array == nullptr) return E_OUTOFMEMORY;
    auto* points = static_cast<Point*>(array->pvData);
    for (LONG i = 0; i < count; ++i) {
      std::wstring name = L"p" + std::to_wstring(first + i);
      BSTR text = ::SysAllocString(name.c_str());
      MakePoint(first + i, text, &points[i]);
      ::SysFreeString(text);
    }
    *result = array;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE ScalePoints(SAFEARRAY** pts, LONG factor) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    Point* points = nullptr;
    LONG lower = 0, count = 0;
    if (pts == nullptr || !pointElements(*pts, &points, &lower, &count)) return DISP_E_TYPEMISMATCH;
    for (LONG i = 0; i < count; ++i) {
      points[i].X *= factor;
      std::wstring name(points[i].Name, ::SysStringLen(points[i].Name));
      name += L"*";
      ::SysFreeString(points[i].Name);
      points[i].Name = ::SysAllocStringLen(name.data(), static_cast<UINT>(name.size()));
    }
    // ReDim Preserve: a new array one longer, the old elements moved into it.
    SAFEARRAY* grown = newPoints(count + 1, lower);
    if (grown == nullptr) return E_OUTOFMEMORY;
    auto* moved = static_cast<Point*>(grown->pvData);
    std::memcpy(moved, points, sizeof(Point) * static_cast<size_t>(count));
    std::memset(points, 0, sizeof(Point) * static_cast<size_t>(count));
    BSTR added = ::SysAllocString(L"added");
    MakePoint(factor, added, &moved[count]);
    ::SysFreeString(added);
    destroyPoints(*pts);
    *pts = grown;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE DescribePoints(SAFEARRAY** pts, BSTR* text) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    Point* points = nullptr;
    LONG lower = 0, count = 0;
    if (pts == nullptr || !pointElements(*pts, &points, &lower, &count)) return DISP_E_TYPEMISMATCH;
    std::wstring out = L"lower=" + std::to_wstring(lower) + L";count=" + std::to_wstring(count);
    for (LONG i = 0; i < count; ++i) {
      BSTR one = nullptr;
      DescribePoint(&points[i], &one);
      out += L"|" + std::wstring(one, ::SysStringLen(one));
      ::SysFreeString(one);
    }
    *text = ::SysAllocStringLen(out.data(), static_cast<UINT>(out.size()));
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE FireMoving(LONG x, BSTR* text) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    Point p{};
    BSTR title = ::SysAllocString(L"event");
    MakePoint(x, title, &p);
    ::SysFreeString(title);
    // RaiseEvent Moving(p): the record by reference, changed in place by a handler.
    VARIANT arg;
    ::VariantInit(&arg);
    V_VT(&arg) = VT_BYREF | VT_RECORD;
    V_RECORD(&arg) = &p;
    V_RECORDINFO(&arg) = pointInfo();
    events_.fire(3, &arg, 1);
    if (V_RECORDINFO(&arg) != nullptr) V_RECORDINFO(&arg)->Release();
    HRESULT hr = DescribePoint(&p, text);
    clearPoint(p);
    return hr;
  }
  HRESULT STDMETHODCALLTYPE MakePoint(LONG x, BSTR name, Point* result) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    std::memset(result, 0, sizeof(*result));
    std::wstring text(name, ::SysStringLen(name));
    result->X = x;
    result->Y = x / 2.0;
    result->Name = ::SysAllocString(text.c_str());
    result->Inner.Id = x * 10;
    result->Inner.Label = ::SysAllocString((L"tag " + text).c_str());
    SAFEARRAYBOUND bound{3, 1};
    result->Samples = ::SafeArrayCreate(VT_I4, 1, &bound);
    LONG n = 0;
    for (LONG* value : longElements(result->Samples)) *value = x + n++;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE get_Origin(Point* value) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    copyPoint(origin_, *value);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE put_Origin(Point* value) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    clearPoint(origin_);
    copyPoint(*value, origin_);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE DescribePoint(Point* p, BSTR* text) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    wchar_t y[64];
    std::swprintf(y, 64, L"%g", p->Y);
    std::wstring out = L"X=" + std::to_wstring(p->X) + L";Y=" + y + L";Name=" +
                       std::wstring(p->Name, ::SysStringLen(p->Name)) + L";Id=" +
                       std::to_wstring(p->Inner.Id) + L";Label=" +
                       std::wstring(p->Inner.Label, ::SysStringLen(p->Inner.Label)) +
                       L";Samples=";
    bool first = true;
    for (LONG* value : longElements(p->Samples)) {
      out += (first ? L"" : L",") + std::to_wstring(*value);
      first = false;
    }
    *text = ::SysAllocString(out.c_str());
    return S_OK;
  }

  HRESULT STDMETHODCALLTYPE Attach(IDispatch* other, BSTR* otherName) override {
    if (!onOwnThread()) return RPC_E_WRONG_THREAD;
    Sample* sample = nullptr;
    if (other == nullptr ||
        FAILED(other->QueryInterface(kSampleSelf, reinterpret_cast<void**>(&sample)))) {
      return raise(static_cast<HRESULT>(0x80040202), L"SampleSource",
                   L"Attach: the object is not a Sample of this DLL (Nothing, a proxy or "
                   L"another class)", 0);
    }
    HRESULT hr = S_OK;
    if (sample->onOwnThread()) {
      *otherName = ::SysAllocStringLen(sample->name_, ::SysStringLen(sample->name_));
    } else {
      hr = raise(static_cast<HRESULT>(0x80040203), L"SampleSource",
                 L"Attach: the Sample lives in another apartment", 0);
    }
    sample->Release();
    return hr;
  }

 private:
  // RaiseEvent Ticked(n, prefix & n).
  void tick(long n, const std::wstring& prefix) {
    VARIANT args[2];
    ::VariantInit(&args[0]);
    ::VariantInit(&args[1]);
    V_VT(&args[0]) = VT_BSTR;
    V_BSTR(&args[0]) = ::SysAllocString((prefix + std::to_wstring(n)).c_str());
    V_VT(&args[1]) = VT_I4;
    V_I4(&args[1]) = n;
    events_.fire(1, args, 2);
    ::VariantClear(&args[0]);
  }

  // Sink.<member> value (by reference) -> answer, by name as VB6's late binding calls it. Noted
  // for LastEventResult; a failure is raised with its HRESULT in the description.
  HRESULT callSink(const std::wstring& member, VARIANT* value, VARIANT* answer) {
    if (sink_ == nullptr) {
      return raise(static_cast<HRESULT>(0x8004020B), L"SampleSource", L"no sink (SetSink)", 0);
    }
    LPOLESTR name = const_cast<LPOLESTR>(member.c_str());
    DISPID id = DISPID_UNKNOWN;
    EXCEPINFO exception{};
    const IID none{};
    HRESULT hr = sink_->GetIDsOfNames(none, &name, 1, LOCALE_USER_DEFAULT, &id);
    if (SUCCEEDED(hr)) {
      VARIANT arg;
      ::VariantInit(&arg);
      V_VT(&arg) = VT_BYREF | VT_VARIANT;
      V_VARIANTREF(&arg) = value;
      DISPPARAMS params{&arg, nullptr, 1, 0};
      hr = sink_->Invoke(id, none, LOCALE_USER_DEFAULT, DISPATCH_METHOD, &params, answer,
                         &exception, nullptr);
    }
    events_.note(hr, exception);
    char code[16];
    std::snprintf(code, sizeof(code), "0x%08lX", static_cast<unsigned long>(hr));
    logLine("sink call " + std::string(code));
    std::wstring description = events_.lastError();
    ::SysFreeString(exception.bstrSource);
    ::SysFreeString(exception.bstrDescription);
    ::SysFreeString(exception.bstrHelpFile);
    if (SUCCEEDED(hr)) return hr;
    std::wstring text = L"sink call failed (HRESULT " + std::wstring(code, code + std::strlen(code)) + L")";
    if (!description.empty()) text += L": " + description;
    return raise(hr, L"SampleSource", text, 0);
  }

  // WM_TIMER of a NotifyLater timer: Sink.Notify "timer", outside any call.
  static void CALLBACK onNotifyTimer(HWND, UINT, UINT_PTR timer, DWORD) {
    Sample* sample = nullptr;
    {
      std::lock_guard<std::mutex> lock(g_tickingMutex);
      auto found = g_notifying.find(timer);
      if (found == g_notifying.end()) return;
      sample = found->second;
      ::KillTimer(nullptr, timer);
      g_notifying.erase(found);
    }
    VARIANT value;
    ::VariantInit(&value);
    V_VT(&value) = VT_BSTR;
    V_BSTR(&value) = ::SysAllocString(L"timer");
    VARIANT answer;
    ::VariantInit(&answer);
    sample->callSink(L"Notify", &value, &answer);
    ::VariantClear(&value);
    ::VariantClear(&answer);
    sample->Release();
  }

  // WM_TIMER of a StartTicking timer, dispatched by the apartment's message loop.
  static void CALLBACK onTimer(HWND, UINT, UINT_PTR timer, DWORD) {
    Ticking ticking{};
    bool last = false;
    {
      std::lock_guard<std::mutex> lock(g_tickingMutex);
      auto found = g_ticking.find(timer);
      if (found == g_ticking.end()) return;
      ticking = found->second;
      ticking.fired = ++found->second.fired;
      last = ticking.fired >= ticking.count;
      if (last) {
        ::KillTimer(nullptr, timer);
        g_ticking.erase(found);
      }
    }
    ticking.sample->tick(ticking.fired, L"timer ");
    if (last) ticking.sample->Release();
  }

  // MovePoint, MakePoint, Origin, DescribePoint and the arrays of Points by hand (see Invoke).
  // Arguments arrive last first in rgvarg; a record must be this library's Point (DISP_E_TYPEMISMATCH otherwise, with
  // its index in *argumentError, as DispInvoke reports it).
  HRESULT invokeRecords(DISPID id, WORD flags, DISPPARAMS* params, VARIANT* result,
                        UINT* argumentError) {
    UINT count = params->cArgs;
    auto arg = [&](UINT index) -> VARIANT& { return params->rgvarg[count - 1 - index]; };
    auto number = [&](UINT index, LONG* out) {
      VARIANT converted;
      ::VariantInit(&converted);
      if (FAILED(::VariantChangeType(&converted, &arg(index), 0, VT_I4))) {
        *argumentError = count - 1 - index;
        return false;
      }
      *out = V_I4(&converted);
      return true;
    };
    auto point = [&](UINT index) -> Point* {
      Point* p = pointArgument(arg(index));
      if (p == nullptr) *argumentError = count - 1 - index;
      return p;
    };
    if (id == 19 && (flags & DISPATCH_PROPERTYPUT) != 0) {
      if (count != 1 || params->cNamedArgs != 1) return DISP_E_BADPARAMCOUNT;
      Point* p = point(0);
      return p == nullptr ? DISP_E_TYPEMISMATCH : put_Origin(p);
    }
    if (params->cNamedArgs != 0) return DISP_E_NONAMEDARGS;
    // An array of Points: VT_ARRAY | VT_RECORD by reference (VB6 passes arrays so), or by
    // value (a caller without type information), or inside a Variant.
    auto points = [&](UINT index) -> SAFEARRAY** {
      VARIANT* v = &arg(index);
      if (V_VT(v) == (VT_BYREF | VT_VARIANT)) v = V_VARIANTREF(v);
      if (V_VT(v) == (VT_BYREF | VT_ARRAY | VT_RECORD)) return V_ARRAYREF(v);
      if (V_VT(v) == (VT_ARRAY | VT_RECORD)) return &V_ARRAY(v);
      *argumentError = count - 1 - index;
      return nullptr;
    };
    Point made{};
    switch (id) {
      case 27: {
        if (count != 2) return DISP_E_BADPARAMCOUNT;
        LONG n = 0, first = 0;
        if (!number(0, &n) || !number(1, &first)) return DISP_E_TYPEMISMATCH;
        SAFEARRAY* array = nullptr;
        HRESULT hr = Points(n, first, &array);
        if (FAILED(hr)) return hr;
        if (result == nullptr) {
          destroyPoints(array);
          return S_OK;
        }
        ::VariantInit(result);
        V_VT(result) = VT_ARRAY | VT_RECORD;
        V_ARRAY(result) = array;
        return S_OK;
      }
      case 28: {
        if (count != 2) return DISP_E_BADPARAMCOUNT;
        LONG factor = 0;
        SAFEARRAY** pts = points(0);
        if (pts == nullptr || !number(1, &factor)) return DISP_E_TYPEMISMATCH;
        return ScalePoints(pts, factor);
      }
      case 29: {
        if (count != 1) return DISP_E_BADPARAMCOUNT;
        SAFEARRAY** pts = points(0);
        if (pts == nullptr) return DISP_E_TYPEMISMATCH;
        BSTR text = nullptr;
        HRESULT hr = DescribePoints(pts, &text);
        if (FAILED(hr)) *argumentError = 0;
        return returnText(hr, text, result);
      }
      case 17: {
        if (count != 2) return DISP_E_BADPARAMCOUNT;
        LONG dx = 0;
        Point* p = point(0);
        if (p == nullptr || !number(1, &dx)) return DISP_E_TYPEMISMATCH;
        return MovePoint(p, dx);
      }
      case 18: {
        if (count != 2) return DISP_E_BADPARAMCOUNT;
        LONG x = 0;
        VARIANT name;
        ::VariantInit(&name);
        if (!number(0, &x)) return DISP_E_TYPEMISMATCH;
        if (FAILED(::VariantChangeType(&name, &arg(1), 0, VT_BSTR))) {
          *argumentError = 0;
          return DISP_E_TYPEMISMATCH;
        }
        HRESULT hr = MakePoint(x, V_BSTR(&name), &made);
        ::VariantClear(&name);
        return FAILED(hr) ? hr : returnPoint(made, result);
      }
      case 19: {
        if (count != 0) return DISP_E_BADPARAMCOUNT;
        get_Origin(&made);
        return returnPoint(made, result);
      }
      default: {
        if (count != 1) return DISP_E_BADPARAMCOUNT;
        Point* p = point(0);
        if (p == nullptr) return DISP_E_TYPEMISMATCH;
        BSTR text = nullptr;
        HRESULT hr = DescribePoint(p, &text);  // before returnText reads `text`
        return returnText(hr, text, result);
      }
    }
  }

  BSTR name_ = nullptr;
  IDispatch* sink_ = nullptr;  // SetSink's, kept until ReleaseSink, another SetSink or the end
  Point origin_{};  // Origin (VT_EMPTY-like: zero, no strings, no array)
  EventPoint events_{this};
};

ULONG STDMETHODCALLTYPE EventPoint::AddRef() { return owner_->AddRef(); }
ULONG STDMETHODCALLTYPE EventPoint::Release() { return owner_->Release(); }
HRESULT STDMETHODCALLTYPE EventPoint::GetConnectionPointContainer(IConnectionPointContainer** out) {
  *out = owner_;
  owner_->AddRef();
  return S_OK;
}

class Factory final : public IClassFactory {
 public:
  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID iid, void** out) override {
    if (iid == IID_IUnknown || iid == IID_IClassFactory) {
      *out = static_cast<IClassFactory*>(this);
      return S_OK;
    }
    *out = nullptr;
    return E_NOINTERFACE;
  }
  ULONG STDMETHODCALLTYPE AddRef() override { return 2; }   // static: never freed
  ULONG STDMETHODCALLTYPE Release() override { return 1; }
  HRESULT STDMETHODCALLTYPE CreateInstance(IUnknown* outer, REFIID iid, void** out) override {
    if (outer != nullptr) return CLASS_E_NOAGGREGATION;
    auto* sample = new Sample();
    HRESULT hr = sample->QueryInterface(iid, out);
    sample->Release();
    return hr;
  }
  HRESULT STDMETHODCALLTYPE LockServer(BOOL lock) override {
    lock ? ++g_objects : --g_objects;
    return S_OK;
  }
};

Factory g_factory;

}  // namespace

extern "C" BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID) {
  if (reason == DLL_PROCESS_ATTACH) g_module = instance;
  return TRUE;
}

extern "C" __declspec(dllexport) HRESULT STDAPICALLTYPE DllGetClassObject(REFCLSID clsid,
                                                                          REFIID iid, void** out) {
  if (clsid != CLSID_Sample) return CLASS_E_CLASSNOTAVAILABLE;
  return g_factory.QueryInterface(iid, out);
}

extern "C" __declspec(dllexport) HRESULT STDAPICALLTYPE DllCanUnloadNow() {
  return g_objects == 0 ? S_OK : S_FALSE;
}
